<?php
// Install and upgrade (argv: "upgrade <fromVersion>" on an upgrade; handle none).
// Registers the scheduled task that runs the helper's `tick` every 5 minutes,
// once: an existing task for tick.php is kept, so a reinstall or an upgrade
// never adds a second one.
pm_Loader::registerAutoload();
pm_Context::init('mail-cutover');

$scheduler = pm_Scheduler::getInstance();
$found = null;
foreach ($scheduler->listTasks() as $task) {
    if ($task->getCmd() === 'tick.php') {
        if ($found === null) {
            $found = $task;
        } else {
            $scheduler->removeTask($task);  /* a duplicate from an older build */
        }
    }
}
if ($found === null) {
    $task = new pm_Scheduler_Task();
    $task->setSchedule(pm_Scheduler::$EVERY_5_MIN);
    $task->setCmd('tick.php');
    $scheduler->putTask($task);
    $found = $task;
}
pm_Settings::set('tick_task_id', (string)$found->getId());

// The helper must run here: fail the install saying exactly why otherwise
// (missing file or library, wrong architecture, exec format, permission).
$r = Modules_MailCutover_Helper::selfTest();
foreach ($r['warnings'] as $w) {
    echo 'mail-cutover: warning: ' . $w . "\n";
}
if (!$r['ok']) {
    echo 'mail-cutover: ' . $r['message'] . "\n";
    exit(1);
}
echo 'mail-cutover: ' . $r['message'] . "\n";
exit(0);
