<?php
/*
 * task-runner.php TASKFILE: runs one pm_LongTask_Task of the extension in
 * its own process, as Plesk's task manager does: the class and parameters
 * come from the file pm_LongTask_Manager::start wrote; status and progress
 * go back into it (the page polls them through /__stub/tasks). Test harness
 * only; never part of the extension package.
 */
if (PHP_SAPI !== 'cli' || !isset($argv[1])) {
    exit(2);
}
require __DIR__ . '/pm.php';
/* a long task has no web session on Plesk either (pm_Session::isExist()) */
putenv('MC_STUB_NO_SESSION=1');
pm_Context::init('mail-cutover');
$file = $argv[1];
$t = json_decode((string)file_get_contents($file), true);
if (!is_array($t) || !isset($t['class']) || !preg_match('/^Modules_MailCutover_[A-Za-z0-9_]+$/', $t['class'])) {
    fwrite(STDERR, "task-runner: bad task file $file\n");
    exit(2);
}
$_COOKIE = is_array($t['cookies'] ?? null) ? $t['cookies'] : [];
$class = $t['class'];
$task = new $class();
$task->cookies = $_COOKIE;
$task->bind($t['id'], $file);
$task->setParams(is_array($t['params']) ? $t['params'] : []);
$task->setStatus(pm_LongTask_Task::STATUS_RUNNING);
try {
    $task->onStart();
    $task->run();
    $task->updateProgress(100);
    $task->setStatus(pm_LongTask_Task::STATUS_DONE);
    $task->onDone();
} catch (Exception $e) {
    $task->setError($e->getMessage());
    $task->setStatus(pm_LongTask_Task::STATUS_ERROR);
    $task->onError($e);
    exit(1);
}
exit(0);
