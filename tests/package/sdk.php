<?php
/*
 * Runs one of the extension's plib/scripts (post-install.php, tick.php) as
 * Plesk would, against the browser tests' stand-in SDK (tests/browser/stub)
 * plus a scheduler that keeps its tasks in memory.
 * usage: php tests/package/sdk.php EXT_DIR/plib/scripts/SCRIPT.php
 * env: MC_EXT_DIR, MC_SBIN_DIR, MC_CONFIG, MC_VAR_DIR (see the stub)
 */
require __DIR__ . '/../browser/stub/pm.php';

class pm_Scheduler_Task
{
    private $cmd = '';
    private $schedule = [];
    private $id;
    public function setSchedule($s) { $this->schedule = $s; }
    public function setCmd($c) { $this->cmd = $c; }
    public function getCmd() { return $this->cmd; }
    public function getId() { return $this->id; }
    public function setId($id) { $this->id = $id; }
}

class pm_Scheduler
{
    public static $EVERY_5_MIN = ['minute' => '*/5'];
    private static $me;
    private $tasks = [];
    public static function getInstance() { return self::$me ?: (self::$me = new self()); }
    public function listTasks() { return array_values($this->tasks); }
    public function putTask($t) { $t->setId(count($this->tasks) + 1); $this->tasks[$t->getId()] = $t; }
    public function removeTask($t) { unset($this->tasks[$t->getId()]); }
    public function removeAllTasks() { $this->tasks = []; }
}

require $argv[1];
