<?php
/**
 * The one place that runs the root helper (sbin/mailcutover) through
 * pm_ApiCli::callSbin. Fixed helper name, a whitelist of subcommands and
 * argument shapes, every domain validated, secrets on stdin only, the JSON
 * answer decoded, exit codes and errors mapped to readable messages.
 */
class Modules_MailCutover_Helper
{
    const SBIN = 'mailcutover';

    /* exit codes of the helper (README "The helper") */
    const EXIT_DONE = 0;
    const EXIT_FAILED = 1;
    const EXIT_USAGE = 2;
    const EXIT_GATE = 3;
    const EXIT_PANEL = 4;

    /* subcommands taking DOMAIN... and the options each accepts */
    private static $domainCommands = [
        'plan' => [], 'prepare' => [], 'switch' => [], 'sync' => [],
        'disable-old-mail' => ['--force'], 'verify' => [],
        'finish' => ['--confirm-registrar'], 'rollback' => [],
        'migrate' => [], 'status' => [], 'log' => [],
    ];

    const MAX_DOMAINS = 5000;

    /** RFC 1035 host name in ASCII (IDN as A-labels), as the helper checks. */
    public static function isDomain($name)
    {
        if (!is_string($name) || strlen($name) > 253 || strlen($name) < 3) {
            return false;
        }
        return (bool)preg_match(
            '/^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+'
            . '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/D', $name);
    }

    /** Keep only valid, distinct domain names; throws on a bad one. */
    public static function domains(array $names)
    {
        $out = [];
        foreach ($names as $n) {
            if (!self::isDomain($n)) {
                throw new pm_Exception(pm_Locale::lmsg('errorBadDomain',
                    ['domain' => is_string($n) ? substr($n, 0, 100) : '?']));
            }
            $out[strtolower($n)] = true;
        }
        if (count($out) > self::MAX_DOMAINS) {
            throw new pm_Exception(pm_Locale::lmsg('errorTooMany'));
        }
        return array_keys($out);
    }

    /** An engine command over domains: plan, prepare, ... migrate. */
    public static function domainCommand($cmd, array $domains, array $opts = [])
    {
        if (!isset(self::$domainCommands[$cmd])) {
            throw new pm_Exception('unknown command');
        }
        foreach ($opts as $o) {
            if (!in_array($o, self::$domainCommands[$cmd], true)) {
                throw new pm_Exception('option not allowed');
            }
        }
        $domains = self::domains($domains);
        if (!$domains && $cmd !== 'log' && $cmd !== 'status') {
            throw new pm_Exception(pm_Locale::lmsg('errorNoSelection'));
        }
        return self::call(array_merge([$cmd], $opts, $domains));
    }

    /**
     * Post-install: does sbin/mailcutover run on this server? Returns
     * ['ok' => bool, 'message' => one line saying why not (or what it is),
     * 'warnings' => [lines]]. Before running it, the file itself is looked
     * at, so that a missing file, a wrong architecture, a file that is not
     * a Linux program or a missing execute bit is named as such.
     */
    public static function selfTest()
    {
        $path = self::sbinPath();
        $why = self::fileProblem($path);
        if ($why !== null) {
            return ['ok' => false, 'message' => $why, 'warnings' => []];
        }
        try {
            $r = pm_ApiCli::callSbin(self::SBIN, ['--json', 'selftest'],
                pm_ApiCli::RESULT_FULL, [], '');
        } catch (Exception $e) {
            return ['ok' => false, 'warnings' => [], 'message' =>
                'sbin/mailcutover could not be started: ' . $e->getMessage()];
        }
        return self::selfTestResult((int)$r['code'], (string)$r['stdout'],
            (string)$r['stderr']);
    }

    /** Where Plesk installed sbin/mailcutover (or the staged tree's). */
    public static function sbinPath()
    {
        $plib = rtrim(pm_Context::getPlibDir(), '/');
        $n = 0;
        $sbin = preg_replace('#/admin/plib/modules/([^/]+)$#D',
            '/admin/sbin/modules/$1', $plib, 1, $n);
        if (!$n) {
            $sbin = dirname($plib) . '/sbin';   /* an unpacked package */
        }
        return $sbin . '/' . self::SBIN;
    }

    /** What is wrong with the file itself, or null. */
    public static function fileProblem($path)
    {
        clearstatcache();
        if (!file_exists($path)) {
            return "sbin/mailcutover is missing ($path): the package was "
                . 'not installed completely';
        }
        $f = @fopen($path, 'rb');
        if ($f === false) {
            return null;    /* not ours to read (root only): let it run */
        }
        $h = (string)fread($f, 64);
        fclose($f);
        if (strlen($h) < 20 || substr($h, 0, 4) !== "\x7fELF") {
            return "sbin/mailcutover ($path) is not a Linux program "
                . '(exec format error): the package is damaged';
        }
        $machines = [0x3e => 'x86_64', 0xb7 => 'aarch64', 0x03 => 'i386',
            0x28 => 'arm', 0x15 => 'ppc64', 0x16 => 's390x'];
        $le = ord($h[5]) === 1;
        $m = $le ? ord($h[18]) | (ord($h[19]) << 8) : (ord($h[18]) << 8) | ord($h[19]);
        $built = isset($machines[$m]) ? $machines[$m] : sprintf('ELF machine 0x%x', $m);
        $here = php_uname('m');
        $alias = ['amd64' => 'x86_64', 'arm64' => 'aarch64', 'i686' => 'i386'];
        $hereN = isset($alias[$here]) ? $alias[$here] : $here;
        if ($built !== $hereN) {
            return "sbin/mailcutover is built for $built, this server is "
                . "$here (wrong architecture): install the package built for $here";
        }
        if ((fileperms($path) & 0111) === 0) {
            return sprintf('sbin/mailcutover (%s) is not executable (mode %o): '
                . 'permission denied; chmod 755 it', $path, fileperms($path) & 0777);
        }
        return null;
    }

    /** The verdict on `mailcutover --json selftest`'s exit, stdout, stderr. */
    public static function selfTestResult($code, $stdout, $stderr)
    {
        $err = trim($stderr);
        $j = json_decode($stdout, true);
        $warn = [];
        if (is_array($j) && isset($j['checks']) && is_array($j['checks'])) {
            foreach ($j['checks'] as $c) {
                if (isset($c['result'], $c['name'], $c['detail']) && $c['result'] !== 'ok') {
                    $warn[] = $c['name'] . ': ' . $c['detail'];
                }
            }
        }
        if ($code === 0 && is_array($j) && ($j['result'] ?? '') === 'ok') {
            return ['ok' => true, 'warnings' => $warn, 'message' => sprintf(
                'sbin/mailcutover %s (%s, %s) runs', $j['version'] ?? '?',
                $j['linkage'] ?? '?', $j['machine'] ?? '?')];
        }
        if (preg_match('/error while loading shared libraries: ([^:\s]+)/', $err, $m)) {
            $why = 'a library is missing: ' . $m[1] . ' (the helper was '
                . 'built against libraries this server does not have)';
        } elseif (preg_match("/version `(GLIBC_[0-9.]+)' not found/", $err, $m)) {
            $why = 'this server\'s C library is too old: the helper needs '
                . $m[1];
        } elseif (stripos($err, 'exec format error') !== false) {
            $why = 'exec format error: the helper is not built for this '
                . 'server (' . php_uname('m') . ')';
        } elseif (stripos($err, 'permission denied') !== false || $code === 126) {
            $why = 'permission denied: it cannot be executed (' . ($err ?: 'exit 126')
                . '); is the file mode 0755, is the file system mounted noexec?';
        } elseif ($code === 127) {
            $why = 'it was not found or its program loader is missing'
                . ($err !== '' ? ': ' . $err : '');
        } elseif (is_array($j) && ($j['result'] ?? '') === 'failed') {
            $why = 'its self-test failed: ' . implode('; ', $warn);
        } else {
            $why = 'exit ' . $code . ($err !== '' ? ': ' . substr($err, 0, 400) : '');
        }
        return ['ok' => false, 'warnings' => $warn,
            'message' => 'sbin/mailcutover does not run on this server: ' . $why];
    }

    public static function listAll()
    {
        return self::call(['list']);
    }

    /**
     * One page of the domain list, filtered and sorted by the helper
     * (`list --page N ...`): the page's domains plus total, page, pages
     * and the count per state. $q is IndexController::listQuery's
     * (already whitelisted; checked again here).
     */
    public static function listPage(array $q, $perPage)
    {
        $args = ['list', '--page', (string)max(1, (int)($q['page'] ?? 1)),
            '--per-page', (string)max(1, min(1000, (int)$perPage))];
        if (isset($q['sort']) && in_array($q['sort'], ['domain', 'state', 'next', 'result'], true)) {
            array_push($args, '--sort', $q['sort']);
        }
        if (isset($q['dir']) && $q['dir'] === 'desc') {
            $args[] = '--desc';
        }
        if (isset($q['state']) && is_string($q['state']) && preg_match('/^[a-z_]{1,20}$/D', $q['state'])) {
            array_push($args, '--state', $q['state']);
        }
        if (isset($q['q']) && is_string($q['q']) && preg_match('/^[A-Za-z0-9.\-]{1,100}$/D', $q['q'])) {
            array_push($args, '--filter', $q['q']);
        }
        return self::call($args);
    }

    public static function tick()
    {
        return self::call(['tick']);
    }

    public static function servers()
    {
        return self::call(['servers']);
    }

    public static function confirmClients($domain, $yes)
    {
        $d = self::domains([$domain]);
        return self::call(['confirm', $d[0], 'clients', $yes ? 'yes' : 'no']);
    }

    /** The public-key pin of an https:// URL (read without verification). */
    public static function pin($url)
    {
        if (!is_string($url) || !preg_match('~^https://[A-Za-z0-9.\-\[\]:]+(:\d{1,5})?/?$~D', $url)) {
            throw new pm_Exception(pm_Locale::lmsg('errorBadUrl',
                ['url' => is_string($url) ? substr($url, 0, 200) : '']));
        }
        return self::call(['pin', $url]);
    }

    public static function settingsGet()
    {
        return self::call(['settings', 'get']);
    }

    /** Settings as JSON on stdin: the secret never goes into argv. */
    public static function settingsSet(array $values)
    {
        $allowed = ['url', 'auth', 'login', 'secret', 'pin', 'new_ip',
            'lowered_ttl', 'restored_ttl', 'min_wait', 'quiet_hours',
            'secondaries'];
        $in = [];
        foreach ($allowed as $k) {
            if (array_key_exists($k, $values)) {
                $in[$k] = $values[$k];
            }
        }
        return self::call(['settings', 'set'], json_encode($in,
            JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE));
    }

    /**
     * Run the helper with --json. Returns ['code' => int, 'json' => array|null,
     * 'ok' => bool, 'error' => readable message or null].
     */
    private static function call(array $args, $stdin = '')
    {
        foreach ($args as $a) {
            if (!is_string($a) || $a === '' || strpos($a, "\0") !== false) {
                throw new pm_Exception('bad argument');
            }
        }
        $env = ['MAILCUTOVER_ACTOR' => self::actor()];
        $argv = array_merge(['--json'], $args);
        try {
            $r = pm_ApiCli::callSbin(self::SBIN, $argv, pm_ApiCli::RESULT_FULL,
                $env, (string)$stdin);
        } catch (Exception $e) {
            return ['code' => -1, 'json' => null, 'ok' => false,
                'error' => pm_Locale::lmsg('errorHelperRun')];
        }
        $code = (int)$r['code'];
        /* the helper never writes invalid UTF-8; substitute if it ever did,
           rather than lose every result of the run */
        $json = json_decode((string)$r['stdout'], true, 64, JSON_INVALID_UTF8_SUBSTITUTE);
        if (!is_array($json)) {
            $json = null;
        }
        return ['code' => $code, 'json' => $json,
            'ok' => $code === self::EXIT_DONE || $code === self::EXIT_GATE,
            'error' => self::message($code, (string)$r['stderr'], $json)];
    }

    /** Who a long task runs for (its starter's login, kept in its params). */
    private static $taskActor = null;

    public static function setActor($login)
    {
        self::$taskActor = is_string($login) && $login !== '' ? $login : null;
    }

    /** The administrator's login, from the web session only; code that runs
     * without one (the scheduled tick, a long task, post-install) never
     * asks pm_Session for a client. */
    public static function login()
    {
        try {
            if (class_exists('pm_Session') && method_exists('pm_Session', 'isExist')
                && pm_Session::isExist()) {
                $c = pm_Session::getClient();
                if ($c && method_exists($c, 'getLogin')) {
                    return (string)$c->getLogin();
                }
            }
        } catch (Throwable $e) {
            /* no session after all */
        }
        return null;
    }

    private static function actor()
    {
        $login = self::$taskActor !== null ? self::$taskActor : self::login();
        if ($login === null) {
            $login = 'scheduler';
        }
        return 'plesk:' . preg_replace('/[^A-Za-z0-9._@-]/', '_', $login);
    }

    /** A readable message for an exit code; the helper's own words kept. */
    private static function message($code, $stderr, $json)
    {
        $detail = '';
        foreach (preg_split('/\r?\n/', trim($stderr)) as $l) {
            if (strpos($l, 'mailcutover: ') === 0) {
                $detail = substr($l, 13);
                break;
            }
        }
        if ($detail === '' && $json && isset($json['message']) && is_string($json['message'])) {
            $detail = $json['message'];
        }
        if (strlen($detail) > 400) {
            $detail = (string)preg_replace('/^(.{0,400}).*$/us', '$1', $detail);
        }
        switch ($code) {
            case self::EXIT_DONE:
            case self::EXIT_GATE:
                return null;
            case self::EXIT_FAILED:
                return pm_Locale::lmsg('errorFailed', ['detail' => $detail]);
            case self::EXIT_USAGE:
                return pm_Locale::lmsg('errorUsage', ['detail' => $detail]);
            case self::EXIT_PANEL:
                return pm_Locale::lmsg('errorPanel', ['detail' => $detail]);
            default:
                return pm_Locale::lmsg('errorHelperExit', ['code' => $code]);
        }
    }
}
