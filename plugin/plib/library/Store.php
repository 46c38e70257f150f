<?php
/**
 * The last result of each domain (what the list's "last result" column and
 * the row messages show), one small JSON file per domain in the var dir.
 */
class Modules_MailCutover_Store
{
    private static function dir()
    {
        $d = rtrim(pm_Context::getVarDir(), '/') . '/results';
        if (!is_dir($d)) {
            @mkdir($d, 0700, true);
        }
        return $d;
    }

    private static function file($domain)
    {
        return self::dir() . '/' . strtolower($domain) . '.json';
    }

    public static function get($domain)
    {
        if (!Modules_MailCutover_Helper::isDomain($domain)) {
            return null;
        }
        $f = self::file($domain);
        if (!is_file($f)) {
            return null;
        }
        $v = json_decode((string)file_get_contents($f), true);
        return is_array($v) ? $v : null;
    }

    public static function put($domain, array $v)
    {
        if (!Modules_MailCutover_Helper::isDomain($domain)) {
            return;
        }
        $f = self::file($domain);
        $tmp = $f . '.' . getmypid() . '.tmp';
        if (file_put_contents($tmp, json_encode($v), LOCK_EX) !== false) {
            rename($tmp, $f);
        }
    }

    /**
     * Record a helper answer for the domains it was run on: the per-domain
     * result when the JSON has it, else the run's error on each domain.
     */
    public static function record($cmd, array $domains, array $r)
    {
        $now = gmdate('Y-m-d\TH:i:s\Z');
        $seen = [];
        if ($r['json'] && isset($r['json']['domains']) && is_array($r['json']['domains'])) {
            foreach ($r['json']['domains'] as $d) {
                if (!isset($d['domain']) || !is_string($d['domain'])) {
                    continue;
                }
                $agree = null;
                if (!empty($d['servers']) && is_array($d['servers'])) {
                    $agree = true;
                    foreach ($d['servers'] as $s) {
                        if (empty($s['ok'])) {
                            $agree = false;
                        }
                    }
                }
                $notes = [];
                foreach (isset($d['notes']) && is_array($d['notes']) ? $d['notes'] : [] as $n) {
                    if (isset($n['kind'], $n['text']) && count($notes) < 40) {
                        $notes[] = ['kind' => (string)$n['kind'], 'text' => (string)$n['text']];
                    }
                }
                $old = self::get($d['domain']) ?: [];
                self::put($d['domain'], [
                    'time' => $now, 'command' => $cmd,
                    'result' => isset($d['result']) ? (string)$d['result'] : 'failed',
                    'message' => isset($d['message']) ? (string)$d['message'] : '',
                    'agree' => $agree !== null ? $agree : (isset($old['agree']) ? $old['agree'] : null),
                    'notes' => $cmd === 'plan' || $notes ? $notes : (isset($old['notes']) ? $old['notes'] : []),
                    'plan' => $cmd === 'plan' ? $notes : (isset($old['plan']) ? $old['plan'] : []),
                ]);
                $seen[strtolower($d['domain'])] = true;
            }
        }
        if ($r['error'] !== null) {
            foreach ($domains as $name) {
                if (isset($seen[strtolower($name)])) {
                    continue;
                }
                $old = self::get($name) ?: [];
                $old['time'] = $now;
                $old['command'] = $cmd;
                $old['result'] = 'failed';
                $old['message'] = $r['error'];
                self::put($name, $old);
            }
        }
    }
}
