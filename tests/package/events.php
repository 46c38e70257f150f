<?php
/*
 * The extension's notification logic against the stand-in SDK, without a
 * panel: the hooks' declarations in both languages, which helper answers
 * make which event (answers shaped as README "Notifications and the Action
 * Log" documents the helper's JSON), one digest per event, a digest Plesk
 * refused sent again next time, an accepted one never, the cap on a
 * digest's lines. The browser suite runs the same code on the real
 * helper's answers. Prints "ok - ..." / "FAIL - ..." lines and ends with
 * "N passed, N failed".
 * usage: php tests/package/events.php  (env MC_EXT_DIR, MC_VAR_DIR, MC_STUB_RECORDS)
 */
require __DIR__ . '/../browser/stub/pm.php';
pm_Context::init('mail-cutover');

$passed = 0;
$failed = 0;
function t($name, callable $fn)
{
    global $passed, $failed;
    try {
        $fn();
        $passed++;
        echo "ok   - $name\n";
    } catch (Throwable $e) {
        $failed++;
        echo "FAIL - $name: " . $e->getMessage() . "\n";
    }
}
function check($cond, $msg, $extra = null)
{
    if (!$cond) {
        throw new Exception($msg . ($extra !== null ? ' | ' . json_encode($extra, JSON_UNESCAPED_UNICODE) : ''));
    }
}
function locale($code)
{
    $_COOKIE['mc_locale'] = $code;
}
function sentRecords()
{
    $f = getenv('MC_STUB_RECORDS');
    if (!is_file($f)) {
        return [];
    }
    return array_values(array_filter(array_map(function ($l) { return json_decode($l, true); },
        file($f, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES)), function ($r) { return $r['kind'] === 'notification'; }));
}
function dom($name, $result, $state, $message = '', $next = [], $notes = [])
{
    return ['domain' => $name, 'display' => $name, 'result' => $result, 'state' => $state,
        'message' => $message, 'next' => $next + ['step' => null, 'at' => null, 'in_s' => 0],
        'steps' => [], 'notes' => $notes];
}
function names(array $ev)
{
    return array_keys($ev);
}

$placeholders = ['count', 'domains', 'list', 'source', 'time'];

t('hooks declare every event with title, subject and text in both languages', function () use ($placeholders) {
    $texts = [];
    foreach (['en-US', 'ja-JP'] as $loc) {
        locale($loc);
        $n = (new Modules_MailCutover_Notifications())->getNotifications();
        check(array_keys($n) === Modules_MailCutover_Events::$all, "$loc: the events", array_keys($n));
        foreach ($n as $id => $v) {
            foreach (['title', 'subject', 'message'] as $k) {
                check(is_string($v[$k]) && $v[$k] !== '' && strpos($v[$k], '[[') === false, "$loc $id $k", $v[$k]);
            }
            check($v['notifyAdmin'] === true && $v['notifyClients'] === false && $v['notifyResellers'] === false,
                "$loc $id: to the administrator only");
            preg_match_all('/<([a-z_-]+)>/', $v['subject'] . $v['message'], $m);
            check(!array_diff($m[1], $placeholders), "$loc $id: only known placeholders", $m[1]);
            check(strpos($v['message'], '<list>') !== false && strpos($v['subject'], '<count>') !== false,
                "$loc $id: the list in the text, the count in the subject");
            $texts[$loc][$id] = $v['subject'] . $v['message'] . $v['title'];
        }
        $a = (new Modules_MailCutover_ActionLog())->getEvents();
        check(array_keys($a) === ['ttl_lowered', 'records_switched', 'mail_disabled', 'ttl_restored', 'rollback'],
            "$loc: Action Log events", array_keys($a));
        foreach ($a as $id => $title) {
            check(is_string($title) && $title !== '' && strpos($title, '[[') === false, "$loc: Action Log title $id");
            $texts[$loc]['al' . $id] = $title;
        }
    }
    foreach ($texts['en-US'] as $id => $s) {
        check($texts['ja-JP'][$id] !== $s, "$id: Japanese text differs from English");
    }
    locale('en-US');
});

t('which answer is which event', function () {
    $ev = Modules_MailCutover_Events::derive('tick', [
        dom('gate.test', 'waiting', 'verified', 'verified; finish when ...', ['step' => 'finish']),
        dom('later.test', 'waiting', 'verified', '', ['step' => 'finish', 'at' => '2999-01-01T00:00:00Z', 'in_s' => 3600]),
        dom('switchdue.test', 'waiting', 'prepared', 'outside the quiet-hours window', ['step' => 'switch']),
        dom('failed.test', 'failed', 'planned', 'lowering the TTL: HTTP 500'),
        dom('verify.test', 'failed', 'mail_disabled', 'verify failed (see the checks)', [],
            [['kind' => 'block', 'text' => 'smtp: certificate is for x'], ['kind' => 'pass', 'text' => 'dns ok']]),
        dom('resid.test', 'waiting', 'verified', '', ['step' => 'finish'],
            [['kind' => 'warn', 'text' => 'residual mail: 1 mailbox on the old server grew after the switch: a@resid.test +10 bytes']]),
        dom('noresid.test', 'done', 'mail_disabled', '', [], [['kind' => 'pass', 'text' => 'residual mail: no mailbox grew']]),
        dom('fin.test', 'done', 'done', 'cutover finished'),
        dom('stilldone.test', 'noop', 'done', 'nothing to do'),
        dom('-bad-', 'failed', 'new', 'x'),
        ['result' => 'failed'],
    ]);
    check(names($ev['gate_opened']) === ['gate.test', 'resid.test'], 'gate: finish due, nothing else', names($ev['gate_opened']));
    check($ev['gate_opened']['gate.test']['key'] === 'gate_opened:finish', 'gate key');
    check(names($ev['step_failed']) === ['failed.test'] && $ev['step_failed']['failed.test']['key'] === 'step_failed:prepare',
        'a failed step: the step after its state', $ev['step_failed']);
    check(strpos($ev['step_failed']['failed.test']['detail'], 'lower TTL: lowering the TTL: HTTP 500') === 0, 'failed detail',
        $ev['step_failed']['failed.test']['detail']);
    check(names($ev['verify_failed']) === ['verify.test'] &&
        strpos($ev['verify_failed']['verify.test']['detail'], 'smtp: certificate is for x') !== false
        && strpos($ev['verify_failed']['verify.test']['detail'], 'dns ok') === false, 'verify: its failing checks',
        $ev['verify_failed']);
    check(names($ev['residual_mail']) === ['resid.test'] &&
        $ev['residual_mail']['resid.test']['detail'] === '1 mailbox on the old server grew after the switch: a@resid.test +10 bytes',
        'residual: the warning, not the pass', $ev['residual_mail']);
    check(names($ev['cutover_finished']) === ['fin.test'], 'finished: by this run only', names($ev['cutover_finished']));
    $r = Modules_MailCutover_Events::derive('rollback', [dom('rb.test', 'failed', 'switched', 'x')]);
    check($r['step_failed']['rb.test']['key'] === 'step_failed:rollback', 'a command that names its step');
});

t('one digest per event; refused by Plesk: sent next time; accepted: never again', function () {
    $answer = ['json' => ['domains' => [
        dom('b.test', 'waiting', 'verified', '', ['step' => 'finish']),
        dom('a.test', 'waiting', 'verified', '', ['step' => 'finish']),
        dom('c.test', 'failed', 'prepared', 'adding mail A: error'),
    ]]];
    $before = count(sentRecords());
    putenv('MC_STUB_NOTIFY_FAIL=mail server down');
    $r = Modules_MailCutover_Events::afterRun('tick', 'tick', [$answer]);
    putenv('MC_STUB_NOTIFY_FAIL');
    check($r['sent'] === [] && count(sentRecords()) === $before, 'nothing sent while Plesk refuses', $r);
    check(strpos((string)@file_get_contents(pm_Context::getVarDir() . '__pm.log'), 'not sent (tried again next run)') !== false,
        'the refusal is logged');
    $r = Modules_MailCutover_Events::afterRun('tick', 'tick', [$answer]);
    check($r['sent'] === ['step_failed' => ['c.test'], 'gate_opened' => ['a.test', 'b.test']], 'sent now', $r);
    $got = array_slice(sentRecords(), $before);
    check(count($got) === 2 && $got[1]['id'] === 'gate_opened' && $got[1]['params']['domains'] === 'a.test, b.test'
        && $got[1]['params']['count'] === '2', 'one digest for both, sorted', $got);
    check(strpos($got[0]['message'], '- c.test: switch records: adding mail A: error') !== false, 'failed step line', $got[0]['message']);
    $r = Modules_MailCutover_Events::afterRun('task', 'migrate', [$answer]);
    check($r['sent'] === [] && count(sentRecords()) === $before + 2, 'never again for the same domains', $r);
    $r = Modules_MailCutover_Events::afterRun('page', 'plan', [$answer]);
    check($r['sent'] === [], 'plan changes nothing: no event');
});

t('a digest lists 200 domains and counts the rest', function () {
    $ds = [];
    for ($i = 0; $i < 205; $i++) {
        $ds[] = dom(sprintf('many%03d.test', $i), 'done', 'done', 'cutover finished');
    }
    $before = count(sentRecords());
    Modules_MailCutover_Events::afterRun('task', 'finish', [['json' => ['domains' => $ds]]]);
    $got = array_slice(sentRecords(), $before);
    check(count($got) === 1 && $got[0]['id'] === 'cutover_finished' && $got[0]['params']['count'] === '205', 'one digest', $got);
    $lines = explode("\n", $got[0]['params']['list']);
    check(count($lines) === 201 && end($lines) === '... and 5 more' && $lines[0] === '- many000.test: finished', 'capped',
        [count($lines), end($lines)]);
});

echo "$passed passed, $failed failed\n";
exit($failed ? 1 : 0);
