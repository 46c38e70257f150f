<?php
// Scheduled every 5 minutes by post-install.php: advance every domain whose
// wait is over (the helper honours quiet_hours); tell the administrator
// what needs them (Plesk notifications) and log what changed (Action Log).
pm_Loader::registerAutoload();
pm_Context::init('mail-cutover');

$r = Modules_MailCutover_Helper::tick();
if ($r['code'] === 0 && $r['json'] && ($r['json']['configured'] ?? true) === false) {
    exit(0);    /* the settings page was never saved: nothing to do yet */
}
$names = [];
foreach (($r['json']['domains'] ?? []) as $d) {
    if (isset($d['domain']) && is_string($d['domain'])) {
        $names[] = $d['domain'];
    }
}
Modules_MailCutover_Store::record('tick', $names, $r);
// one notification digest per event (never twice for a domain), and the
// run's new audit-log lines into Plesk's Action Log
Modules_MailCutover_Events::afterRun('tick', 'tick', [$r], $names);
if ($r['error'] !== null) {
    fwrite(STDERR, 'mail-cutover tick: ' . $r['error'] . "\n");
    exit(1);
}
exit(0);
