<?php
/**
 * Plesk's Action Log gets what the extension changed on the old server.
 * The source of truth is the helper's audit log (`mailcutover --json log
 * DOMAIN...`: lines {time, domain, step, old, new, result, actor}); every
 * line of the steps below is submitted once with pm_ActionLog::submit,
 * whichever way the helper ran (page, long task, tick). What was submitted
 * is remembered per domain (Modules_MailCutover_Sent, "logged").
 */
class Modules_MailCutover_Audit
{
    /** audit step => [results that are a change made => Action Log event] */
    private static $map = [
        'prepare' => ['ok' => 'ttl_lowered'],
        'switch' => ['done' => 'records_switched'],
        'disable-old-mail' => ['ok' => 'mail_disabled'],
        'finish' => ['ok' => 'ttl_restored'],
        'rollback' => ['ok' => 'rollback', 'done' => 'rollback'],
    ];

    /** up to this many domains, the log is read for them by name */
    const FEW = 20;

    /** The Action Log event of one audit line, or null when it is none. */
    public static function eventOf(array $line)
    {
        $step = isset($line['step']) && is_string($line['step']) ? $line['step'] : '';
        $result = isset($line['result']) && is_string($line['result']) ? $line['result'] : '';
        return self::$map[$step][$result] ?? null;
    }

    /**
     * Submit the new lines of these domains' audit logs. Returns how many
     * were submitted. The caller holds Modules_MailCutover_Sent::lock().
     */
    public static function sync(array $names)
    {
        $uniq = [];
        foreach ($names as $n) {
            if (is_string($n) && Modules_MailCutover_Helper::isDomain($n)) {
                $uniq[strtolower($n)] = true;
            }
        }
        if (!$uniq) {
            return 0;
        }
        /* `log DOMAIN...` reads the audit log once per domain named: for
           many domains (a tick, a bulk task) one read of the whole log */
        $chunks = count($uniq) > self::FEW ? [[]] : [array_keys($uniq)];
        $n = 0;
        foreach ($chunks as $chunk) {
            $r = Modules_MailCutover_Helper::domainCommand('log', $chunk);
            if (!isset($r['json']['log']) || !is_array($r['json']['log'])) {
                Modules_MailCutover_Events::log('action log: the audit log could not be read: '
                    . ($r['error'] ?? 'no answer'));
                continue;
            }
            $byDomain = [];
            foreach ($r['json']['log'] as $line) {
                if (is_array($line) && isset($line['domain']) && is_string($line['domain'])) {
                    $d = strtolower(rtrim($line['domain'], '.'));
                    if (isset($uniq[$d])) {
                        $byDomain[$d][] = $line;
                    }
                }
            }
            foreach ($byDomain as $domain => $lines) {
                $n += self::submitDomain($domain, $lines);
            }
        }
        return $n;
    }

    /** One domain's lines, oldest first: submit those not submitted before. */
    private static function submitDomain($domain, array $lines)
    {
        $had = Modules_MailCutover_Sent::get($domain)['logged'];
        $seen = [];
        $n = 0;
        $objectId = null;
        foreach ($lines as $line) {
            $f = [];
            foreach (['time', 'domain', 'step', 'old', 'new', 'result', 'actor'] as $k) {
                $f[$k] = isset($line[$k]) && is_scalar($line[$k]) ? (string)$line[$k] : '';
            }
            /* a line's identity: its text and which repeat of that text it is */
            $h = sha1(implode("\t", $f));
            $seen[$h] = isset($seen[$h]) ? $seen[$h] + 1 : 0;
            $id = $h . ':' . $seen[$h];
            $event = self::eventOf($f);
            if ($event === null || isset($had[$id])) {
                continue;
            }
            if ($objectId === null) {
                $objectId = self::domainId($domain);
            }
            $common = ['domain_name' => $domain, 'result' => $f['result'],
                'actor' => $f['actor'], 'audit_time' => $f['time']];
            pm_ActionLog::submit($event, $objectId,
                ['value' => $f['old']] + $common, ['value' => $f['new']] + $common);
            Modules_MailCutover_Sent::add($domain, 'logged', [$id]);
            $n++;
        }
        return $n;
    }

    /** The domain's id on this panel (the Action Log's object), 0 when it has none. */
    private static function domainId($domain)
    {
        try {
            return (int)pm_Domain::getByName($domain)->getId();
        } catch (Throwable $e) {
            return 0;
        }
    }
}
