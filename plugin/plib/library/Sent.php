<?php
/**
 * What the extension already told Plesk, per domain: the notification
 * events sent (so that an event is never sent twice for a domain) and the
 * audit-log lines submitted to the Action Log (so that each is submitted
 * once). One small JSON file per domain in the var dir (var/sent/), not
 * pm_Settings: a value there holds at most 5000 characters. Callers hold
 * lock() while they read, send and record, so that the scheduled tick and
 * a long task running at the same time never both send the same event.
 */
class Modules_MailCutover_Sent
{
    private static $lock = null;
    private static $depth = 0;

    private static function dir()
    {
        $d = rtrim(pm_Context::getVarDir(), '/') . '/sent';
        if (!is_dir($d)) {
            @mkdir($d, 0700, true);
        }
        return $d;
    }

    private static function file($domain)
    {
        return self::dir() . '/' . strtolower($domain) . '.json';
    }

    /** ['notified' => [key => time], 'logged' => [line id => time]] */
    public static function get($domain)
    {
        $empty = ['notified' => [], 'logged' => []];
        if (!Modules_MailCutover_Helper::isDomain($domain)) {
            return $empty;
        }
        $f = self::file($domain);
        $v = is_file($f) ? json_decode((string)file_get_contents($f), true) : null;
        if (!is_array($v)) {
            return $empty;
        }
        foreach ($empty as $k => $x) {
            if (!isset($v[$k]) || !is_array($v[$k])) {
                $v[$k] = [];
            }
        }
        return $v;
    }

    /** Remember $ids under $what ('notified' or 'logged') for $domain. */
    public static function add($domain, $what, array $ids)
    {
        if (!$ids || !Modules_MailCutover_Helper::isDomain($domain)) {
            return;
        }
        $v = self::get($domain);
        $now = gmdate('Y-m-d\TH:i:s\Z');
        foreach ($ids as $id) {
            $v[$what][(string)$id] = $now;
        }
        $f = self::file($domain);
        $tmp = $f . '.' . getmypid() . '.tmp';
        if (file_put_contents($tmp, json_encode($v), LOCK_EX) === false || !rename($tmp, $f)) {
            @unlink($tmp);
            throw new pm_Exception('cannot write ' . $f);
        }
        @chmod($f, 0600);
    }

    /** Take the extension-wide lock (re-entrant within one process). */
    public static function lock()
    {
        if (self::$depth++ > 0) {
            return;
        }
        $f = @fopen(rtrim(pm_Context::getVarDir(), '/') . '/sent.lock', 'c');
        if ($f !== false) {
            flock($f, LOCK_EX);
            self::$lock = $f;
        }
    }

    public static function unlock()
    {
        if (--self::$depth > 0) {
            return;
        }
        self::$depth = 0;
        if (self::$lock !== null) {
            flock(self::$lock, LOCK_UN);
            fclose(self::$lock);
            self::$lock = null;
        }
    }
}
