<?php
/**
 * Plesk notifications (hooks/Notifications.php declares them) derived from
 * the helper's JSON answers, after every run that can change something:
 * the scheduled tick, a long task, a page action. One message per event
 * per run, a digest over the domains; an event is never sent twice for the
 * same domain (Modules_MailCutover_Sent remembers what was sent). After
 * the notifications, the run's new audit-log lines go to Plesk's Action
 * Log (Modules_MailCutover_Audit).
 *
 * The helper's JSON fields read here (README "Notifications and the Action
 * Log"): domains[].domain, .display, .result, .state, .message,
 * .next.step, .next.at, .next.in_s, .notes[].kind, .notes[].text,
 * .delegation.result (step 5 at the parent).
 */
class Modules_MailCutover_Events
{
    const GATE = 'gate_opened';
    const FAILED = 'step_failed';
    const VERIFY = 'verify_failed';
    const RESIDUAL = 'residual_mail';
    const FINISHED = 'cutover_finished';

    /** more domains than this in one digest: the rest are counted */
    const MAX_LINES = 200;

    /** every event, in the order the digests are sent */
    public static $all = [self::FAILED, self::VERIFY, self::RESIDUAL, self::GATE, self::FINISHED];

    /**
     * Steps that, once their time has come, wait for the operator: the
     * registrar change (finish completes by itself, from the tick too,
     * only once the parent zone's servers list the new name servers).
     */
    private static $operatorSteps = ['finish'];

    /** the step a domain in this state takes next (what failed when it fails) */
    private static $stepAfter = ['new' => 'prepare', 'planned' => 'prepare',
        'prepared' => 'switch', 'switched' => 'sync', 'synced' => 'disable-old-mail',
        'mail_disabled' => 'verify', 'verified' => 'finish',
        'rolling_back' => 'rollback', 'done' => 'finish', 'rolled_back' => 'rollback'];

    /** commands that name their step */
    private static $stepCommands = ['prepare', 'switch', 'sync', 'disable-old-mail',
        'verify', 'finish', 'rollback'];

    /**
     * The events in the domains of helper answers (pure: no I/O).
     * Returns [event => [ascii name => ['domain', 'display', 'key', 'detail']]].
     */
    public static function derive($cmd, array $domains)
    {
        $out = [];
        foreach (self::$all as $ev) {
            $out[$ev] = [];
        }
        foreach ($domains as $d) {
            if (!is_array($d) || !isset($d['domain']) || !is_string($d['domain'])
                || !Modules_MailCutover_Helper::isDomain($d['domain'])) {
                continue;
            }
            $name = strtolower($d['domain']);
            $display = isset($d['display']) && is_string($d['display']) && $d['display'] !== ''
                ? $d['display'] : $name;
            $result = isset($d['result']) && is_string($d['result']) ? $d['result'] : '';
            $state = isset($d['state']) && is_string($d['state']) ? $d['state'] : 'unknown';
            $message = isset($d['message']) && is_string($d['message']) ? $d['message'] : '';
            $next = isset($d['next']) && is_array($d['next']) ? $d['next'] : [];
            $notes = isset($d['notes']) && is_array($d['notes']) ? $d['notes'] : [];
            $base = ['domain' => $name, 'display' => $display];

            if ($result === 'failed') {
                if (strpos($message, 'verify failed') === 0) {
                    $checks = [];
                    foreach ($notes as $n) {
                        if (is_array($n) && ($n['kind'] ?? '') === 'block' && is_string($n['text'] ?? null)
                            && count($checks) < 3) {
                            $checks[] = self::cut($n['text'], 300);
                        }
                    }
                    $out[self::VERIFY][$name] = $base + ['key' => self::VERIFY,
                        'detail' => self::cut($message, 300) . ($checks ? ' — ' . implode('; ', $checks) : '')];
                } else {
                    $step = in_array($cmd, self::$stepCommands, true) ? $cmd
                        : (self::$stepAfter[$state] ?? $state);
                    $out[self::FAILED][$name] = $base + ['key' => self::FAILED . ':' . $step,
                        'detail' => pm_Locale::lmsg('notifyDetailFailed', [
                            'step' => self::stepLabel($step), 'message' => self::cut($message, 400)])];
                }
            }
            foreach ($notes as $n) {
                if (is_array($n) && ($n['kind'] ?? '') === 'warn' && is_string($n['text'] ?? null)
                    && strpos($n['text'], 'residual mail:') === 0) {
                    $out[self::RESIDUAL][$name] = $base + ['key' => self::RESIDUAL,
                        'detail' => self::cut(trim(substr($n['text'], strlen('residual mail:'))), 600)];
                    break;
                }
            }
            $step = isset($next['step']) && is_string($next['step']) ? $next['step'] : '';
            if ($result !== 'failed' && $state !== 'done' && in_array($step, self::$operatorSteps, true)
                && self::due($next)) {
                $key = 'notifyGate_' . $step;
                /* step 5 checked at the parent: it finishes by itself */
                if ($step === 'finish' && isset($d['delegation']) && is_array($d['delegation'])
                    && ($d['delegation']['result'] ?? '') === 'differs') {
                    $key .= '_parent';
                }
                $out[self::GATE][$name] = $base + ['key' => self::GATE . ':' . $step,
                    'detail' => pm_Locale::lmsg($key)];
            }
            /* finished by this run (a later run says noop for it) */
            if ($state === 'done' && $result === 'done') {
                $out[self::FINISHED][$name] = $base + ['key' => self::FINISHED,
                    'detail' => pm_Locale::lmsg('notifyDetailFinished')];
            }
        }
        return $out;
    }

    /** Has the time of this next step come? The helper's own clock decides (in_s). */
    private static function due(array $next)
    {
        if (isset($next['in_s']) && is_numeric($next['in_s'])) {
            return (int)$next['in_s'] <= 0;
        }
        if (!isset($next['at']) || !is_string($next['at']) || $next['at'] === '') {
            return true;
        }
        $t = strtotime($next['at']);
        return $t !== false && $t <= time();
    }

    private static function stepLabel($step)
    {
        $k = 'step_' . $step;
        $s = pm_Locale::lmsg($k);
        return strpos($s, '[[') === 0 ? (string)$step : $s;
    }

    private static function cut($s, $n)
    {
        $s = trim(preg_replace('/\s+/u', ' ', (string)$s) ?? (string)$s);
        if (strlen($s) <= $n) {
            return $s;
        }
        return (string)preg_replace('/^(.{0,' . (int)$n . '}).*$/us', '$1', $s) . '…';
    }

    /**
     * After a helper run: the digests of the events not sent before, then
     * the Action Log. $source: 'tick', 'task' or 'page'; $cmd: the command
     * run; $answers: the Helper results; $names: the domains it ran on.
     * Never throws: the run itself already happened.
     */
    public static function afterRun($source, $cmd, array $answers, array $names = [])
    {
        if ($cmd === 'plan') {
            return ['sent' => [], 'logged' => 0];   /* changes nothing */
        }
        $domains = [];
        foreach ($answers as $r) {
            if (isset($r['json']['domains']) && is_array($r['json']['domains'])) {
                foreach ($r['json']['domains'] as $d) {
                    $domains[] = $d;
                    if (isset($d['domain']) && is_string($d['domain'])) {
                        $names[] = $d['domain'];
                    }
                }
            }
        }
        $sent = [];
        $logged = 0;
        Modules_MailCutover_Sent::lock();
        try {
            try {
                $sent = self::notify($source, self::derive($cmd, $domains));
            } catch (Throwable $e) {
                self::log('notifications: ' . $e->getMessage());
            }
            try {
                $logged = Modules_MailCutover_Audit::sync($names);
            } catch (Throwable $e) {
                self::log('action log: ' . $e->getMessage());
            }
        } finally {
            Modules_MailCutover_Sent::unlock();
        }
        return ['sent' => $sent, 'logged' => $logged];
    }

    /**
     * Send one digest per event over the domains not yet told of it; remember
     * them once Plesk took the message. Returns [event => [ascii names]].
     */
    public static function notify($source, array $events)
    {
        $sent = [];
        foreach (self::$all as $ev) {
            $fresh = [];
            foreach ($events[$ev] ?? [] as $name => $e) {
                $had = Modules_MailCutover_Sent::get($name);
                if (!isset($had['notified'][$e['key']])) {
                    $fresh[$name] = $e;
                }
            }
            if (!$fresh) {
                continue;
            }
            ksort($fresh);
            try {
                (new pm_Notification())->send($ev, self::params($source, $fresh));
            } catch (Throwable $e) {
                self::log("notification $ev not sent (tried again next run): " . $e->getMessage());
                continue;
            }
            foreach ($fresh as $name => $e) {
                Modules_MailCutover_Sent::add($name, 'notified', [$e['key']]);
            }
            $sent[$ev] = array_keys($fresh);
        }
        return $sent;
    }

    /** The placeholders of the notification texts (hooks/Notifications.php). */
    public static function params($source, array $fresh)
    {
        $names = [];
        $lines = [];
        foreach ($fresh as $name => $e) {
            $shown = $e['display'] !== $name ? $e['display'] . ' (' . $name . ')' : $name;
            if (count($lines) < self::MAX_LINES) {
                $names[] = $shown;
                $lines[] = '- ' . $shown . ($e['detail'] !== '' ? ': ' . $e['detail'] : '');
            }
        }
        $rest = count($fresh) - count($lines);
        if ($rest > 0) {
            $more = pm_Locale::lmsg('notifyMore', ['count' => $rest]);
            $names[] = $more;
            $lines[] = $more;
        }
        return [
            'count' => (string)count($fresh),
            'domains' => implode(', ', $names),
            'list' => implode("\n", $lines),
            'source' => pm_Locale::lmsg('notifySource_' . $source),
            'time' => gmdate('Y-m-d H:i') . ' UTC',
        ];
    }

    public static function log($msg)
    {
        if (class_exists('pm_Log')) {
            pm_Log::err('mail-cutover: ' . $msg);
        } else {
            error_log('mail-cutover: ' . $msg);
        }
    }
}
