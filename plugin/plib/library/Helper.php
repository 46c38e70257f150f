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
        'disable-old-mail' => [], 'verify' => [],
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

    /** The helper starts and answers (post-install). */
    public static function selfTest()
    {
        return self::call(['--help']);
    }

    public static function listAll()
    {
        return self::call(['list']);
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

    private static function actor()
    {
        $login = 'admin';
        try {
            $c = pm_Session::getClient();
            if ($c && method_exists($c, 'getLogin')) {
                $login = (string)$c->getLogin();
            }
        } catch (Exception $e) {
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
