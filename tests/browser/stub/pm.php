<?php
/*
 * A small stand-in for the few Plesk SDK (pm_*) calls the extension uses,
 * for the browser tests. The session is an administrator's; every POST
 * must carry the CSRF token (field forgery_protection_token or header
 * X-Forgery-Protection-Token) as on Plesk; pm_ApiCli::callSbin runs the
 * real helper from the staged sbin/. A long task runs in a separate process
 * (task-runner.php), its state in the var dir; the page shows the tasks and
 * polls them (/__stub/tasks), as Plesk's task list does. Test-only: a cookie
 * mc_test_faketime=N runs the helper N seconds in the future (libfaketime),
 * which the real extension has no way to do (MC_TEST_FAKETIME=N for a
 * script run from the command line, as tick.php is); a cookie
 * mc_test_no_platform_csrf=1 turns this stand-in's own CSRF check off, so
 * the tests reach the extension's own check.
 */
if (PHP_SAPI !== 'cli') {
    session_name('mcstub');
    session_start();
    if (empty($_SESSION['csrf'])) {
        $_SESSION['csrf'] = bin2hex(random_bytes(16));
    }
}

class pm_Exception extends Exception {}

class pm_Context
{
    private static $id;
    public static function init($id) { self::$id = $id; }
    public static function getModuleId() { return self::$id; }
    public static function getBaseUrl() { return '/modules/' . self::$id . '/'; }
    public static function getActionUrl($c, $a) { return self::getBaseUrl() . 'index.php/' . $c . '/' . $a; }
    public static function getVarDir() { return rtrim(getenv('MC_VAR_DIR'), '/') . '/'; }
    public static function getPlibDir() { return getenv('MC_EXT_DIR') . '/plib/'; }
    public static function getHtdocsDir() { return getenv('MC_EXT_DIR') . '/htdocs/'; }
}

class pm_Loader
{
    public static function registerAutoload()
    {
        spl_autoload_register(function ($class) {
            $p = 'Modules_MailCutover_';
            if (strncmp($class, $p, strlen($p)) !== 0) {
                return;
            }
            $rel = str_replace('_', '/', substr($class, strlen($p)));
            foreach (['library/' . $rel . '.php', 'hooks/' . $rel . '.php'] as $f) {
                if (is_file(pm_Context::getPlibDir() . $f)) {
                    require_once pm_Context::getPlibDir() . $f;
                    return;
                }
            }
        });
    }
}
pm_Loader::registerAutoload();

class pm_Locale
{
    private static $msgs = [];
    public static function getCode()
    {
        /* the page's language (a cookie here); for a script run from the
         * scheduler, MC_LOCALE stands for the panel's default language */
        $c = isset($_COOKIE['mc_locale']) ? $_COOKIE['mc_locale']
            : (PHP_SAPI === 'cli' && getenv('MC_LOCALE') ? getenv('MC_LOCALE') : 'en-US');
        return in_array($c, ['en-US', 'ja-JP'], true) ? $c : 'en-US';
    }
    private static function load($code)
    {
        if (!isset(self::$msgs[$code])) {
            $messages = [];
            $f = pm_Context::getPlibDir() . 'resources/locales/' . $code . '.php';
            if (is_file($f)) {
                include $f;
            }
            self::$msgs[$code] = $messages;
        }
        return self::$msgs[$code];
    }
    public static function lmsg($key, $params = [])
    {
        $m = self::load(self::getCode());
        $en = self::load('en-US');
        $s = isset($m[$key]) ? $m[$key] : (isset($en[$key]) ? $en[$key] : '[[' . $key . ']]');
        foreach ($params as $k => $v) {
            $s = str_replace('%%' . $k . '%%', (string)$v, $s);
        }
        return $s;
    }
}

class pm_Client
{
    public function isAdmin() { return true; }
    public function getLogin() { return 'admin'; }
    public function getId() { return 1; }
    public function hasAccessToDomain($id) { return true; }
}

/* MC_STUB_NO_SESSION=1: code run without a web session (the scheduled
 * tick, post-install, a long task): isExist() is false and getClient()
 * dies as it may on Plesk (an Error, not an Exception) */
class pm_Session
{
    public static function isExist() { return getenv('MC_STUB_NO_SESSION') !== '1'; }
    public static function getClient()
    {
        if (!self::isExist()) {
            throw new Error('pm_Session::getClient() without a session');
        }
        return new pm_Client();
    }
}

class pm_Domain
{
    private $id;
    public function __construct($id) { $this->id = (int)$id; }
    public function getId() { return $this->id; }
    /* MC_DOMAIN_IDS lists the domains this panel has (id=name,...); any
     * other name: not found, as on Plesk */
    public static function getByName($name)
    {
        foreach (explode(',', (string)getenv('MC_DOMAIN_IDS')) as $pair) {
            $kv = explode('=', $pair, 2);
            if (count($kv) === 2 && strcasecmp($kv[1], (string)$name) === 0) {
                return new pm_Domain((int)$kv[0]);
            }
        }
        throw new pm_Exception("Domain $name does not exist");
    }
    public function getName()
    {
        foreach (explode(',', (string)getenv('MC_DOMAIN_IDS')) as $pair) {
            $kv = explode('=', $pair, 2);
            if (count($kv) === 2 && (int)$kv[0] === $this->id) {
                return $kv[1];
            }
        }
        throw new pm_Exception('no such domain');
    }
}

class pm_Settings
{
    private static function file() { return pm_Context::getVarDir() . 'settings.json'; }
    private static function all() { $v = @json_decode((string)@file_get_contents(self::file()), true); return is_array($v) ? $v : []; }
    public static function get($k, $d = null) { $a = self::all(); return isset($a[$k]) ? $a[$k] : $d; }
    public static function set($k, $v) { $a = self::all(); if ($v === null) unset($a[$k]); else $a[$k] = $v; file_put_contents(self::file(), json_encode($a)); }
    public static function clean($prefix = '') { @unlink(self::file()); }
}

class pm_ApiCli
{
    const RESULT_FULL = 1;
    const RESULT_STDOUT = 2;
    const RESULT_STDERR = 3;
    const RESULT_CODE = 4;
    const RESULT_EXCEPTION = 5;

    public static function callSbin($command, $args = [], $result = self::RESULT_EXCEPTION, $env = [], $stdin = '')
    {
        if (!preg_match('/^[A-Za-z0-9._-]+$/', $command)) {
            throw new pm_Exception('bad sbin name');
        }
        $bin = rtrim(getenv('MC_SBIN_DIR'), '/') . '/' . $command;
        if (!is_file($bin) || !is_executable($bin)) {
            throw new pm_Exception('no such utility: ' . $command);
        }
        foreach ($args as $a) {
            if (!is_string($a)) {
                throw new pm_Exception('arguments must be strings');
            }
        }
        /* mod_wrapper runs the helper with the panel's fixed config */
        $argv = array_merge([$bin, '--config', getenv('MC_CONFIG')], $args);
        $e = ['PATH' => '/usr/sbin:/usr/bin:/sbin:/bin', 'LANG' => 'C.UTF-8', 'TZ' => 'UTC'];
        foreach ($env as $k => $v) {
            $e[$k] = (string)$v;
        }
        /* a script the scheduler runs (tick.php): MC_TEST_FAKETIME instead */
        $ft = isset($_COOKIE['mc_test_faketime']) ? $_COOKIE['mc_test_faketime']
            : (PHP_SAPI === 'cli' ? (string)getenv('MC_TEST_FAKETIME') : '');
        if (is_string($ft) && preg_match('/^[0-9]{1,8}$/', $ft)) {
            $e['LD_PRELOAD'] = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
            $e['FAKETIME'] = '+' . $ft . 's';
            $e['FAKETIME_DONT_FAKE_MONOTONIC'] = '1';
            $e['FAKETIME_NO_CACHE'] = '1';
            /* libfaketime cannot preload into the static packaged helper:
             * time travel runs the dynamic build of the same sources */
            if (getenv('MC_SBIN_FAKETIME_DIR')) {
                $argv[0] = rtrim(getenv('MC_SBIN_FAKETIME_DIR'), '/') . '/' . $command;
            }
        }
        $p = proc_open($argv, [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $e);
        if (!is_resource($p)) {
            throw new pm_Exception('cannot run ' . $command);
        }
        fwrite($pipes[0], (string)$stdin);
        fclose($pipes[0]);
        $out = stream_get_contents($pipes[1]);
        $err = stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        $code = proc_close($p);
        if (getenv('MC_CALL_LOG')) {
            file_put_contents(getenv('MC_CALL_LOG'), json_encode(['argv' => $args, 'env' => array_keys($env),
                'actor' => isset($env['MAILCUTOVER_ACTOR']) ? $env['MAILCUTOVER_ACTOR'] : null,
                'stdin_len' => strlen((string)$stdin), 'code' => $code, 'stdout' => $out, 'stderr' => $err]) . "\n",
                FILE_APPEND | LOCK_EX);
        }
        $r = ['code' => $code, 'stdout' => $out, 'stderr' => $err];
        if ($result === self::RESULT_EXCEPTION && $code !== 0) {
            throw new pm_Exception('utility exited ' . $code);
        }
        return $result === self::RESULT_STDOUT ? $out : ($result === self::RESULT_CODE ? $code : $r);
    }
}

interface pm_Hook_Interface {}
abstract class pm_Hook_Notifications implements pm_Hook_Interface { abstract public function getNotifications(); }
abstract class pm_Hook_ActionLog implements pm_Hook_Interface { abstract public function getEvents(); }

/*
 * What Plesk's notification and Action Log services receive, recorded one
 * JSON line per call in MC_STUB_RECORDS (default: the var dir's
 * __pm-records.jsonl), for the tests to read. Shapes as in plesk/pm-api-stubs
 * (pm/Notification.php, pm/ActionLog.php, pm/Hook/Notifications.php,
 * pm/Hook/ActionLog.php) and docs.plesk.com ("Send Email Notifications",
 * "Add Custom Events"); see README "Notifications and the Action Log".
 */
function pm_stub_record(array $rec)
{
    $f = getenv('MC_STUB_RECORDS') ?: pm_Context::getVarDir() . '__pm-records.jsonl';
    $rec['at'] = microtime(true);
    $rec['pid'] = getmypid();
    file_put_contents($f, json_encode($rec, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES) . "\n",
        FILE_APPEND | LOCK_EX);
}

/* the extension's hook of that kind, as Plesk finds it in plib/hooks/ */
function pm_stub_hook($name, $base)
{
    $class = 'Modules_' . str_replace(' ', '', ucwords(str_replace('-', ' ', pm_Context::getModuleId()))) . '_' . $name;
    if (!is_file(pm_Context::getPlibDir() . 'hooks/' . $name . '.php') || !class_exists($class)
        || !is_subclass_of($class, $base)) {
        throw new pm_Exception("the extension has no $base hook (plib/hooks/$name.php)");
    }
    return new $class();
}

class pm_Notification
{
    /*
     * As Plesk: the notification must be declared by the extension's
     * pm_Hook_Notifications; subject and message are its texts (in the
     * language in effect) with each <placeholder> replaced by $params.
     * Returns the recipients (the administrator: notifyAdmin).
     */
    public function send($id, $params = [], $client = null)
    {
        if (getenv('MC_STUB_NOTIFY_FAIL')) {   /* the tests' "mail server down" */
            throw new pm_Exception('cannot send the notification: ' . getenv('MC_STUB_NOTIFY_FAIL'));
        }
        $all = pm_stub_hook('Notifications', 'pm_Hook_Notifications')->getNotifications();
        if (!is_string($id) || !isset($all[$id]) || !is_array($all[$id])) {
            throw new pm_Exception('unknown notification ' . json_encode($id));
        }
        $n = $all[$id];
        foreach (['title', 'subject', 'message'] as $k) {
            if (!isset($n[$k]) || !is_string($n[$k]) || $n[$k] === '') {
                throw new pm_Exception("notification $id has no $k");
            }
        }
        $subject = $n['subject'];
        $message = $n['message'];
        foreach ((array)$params as $k => $v) {
            if (!is_scalar($v)) {
                throw new pm_Exception("notification $id: parameter $k is not a string");
            }
            $subject = str_replace('<' . $k . '>', (string)$v, $subject);
            $message = str_replace('<' . $k . '>', (string)$v, $message);
        }
        $to = !empty($n['notifyAdmin']) ? ['admin@panel.test'] : [];
        pm_stub_record(['kind' => 'notification', 'id' => $id, 'title' => $n['title'], 'subject' => $subject,
            'message' => $message, 'params' => $params, 'locale' => pm_Locale::getCode(),
            'client' => $client ? $client->getId() : null, 'recipients' => $to]);
        return $to;
    }
}

class pm_ActionLog
{
    const OLD_VALUE = 'old';
    const NEW_VALUE = 'new';

    /* As Plesk: the event must be declared by the extension's
     * pm_Hook_ActionLog; event handlers see it as ext_<module>_<id>. */
    public static function submit($actionId, $objectId = null, $oldValues = null, $newValues = null)
    {
        if (getenv('MC_STUB_ACTIONLOG_FAIL')) {
            throw new Exception('action log unavailable: ' . getenv('MC_STUB_ACTIONLOG_FAIL'));
        }
        $events = pm_stub_hook('ActionLog', 'pm_Hook_ActionLog')->getEvents();
        if (!is_string($actionId) || !isset($events[$actionId])) {
            throw new Exception('unknown action log event ' . json_encode($actionId));
        }
        if ($objectId !== null && !is_int($objectId)) {
            throw new Exception('objectId must be an integer');
        }
        foreach ([$oldValues, $newValues] as $vals) {
            foreach ((array)$vals as $k => $v) {
                if (!is_string($k) || !is_scalar($v)) {
                    throw new Exception('action log values must be name => string');
                }
            }
        }
        pm_stub_record(['kind' => 'actionlog', 'id' => $actionId,
            'event' => 'ext_' . pm_Context::getModuleId() . '_' . $actionId, 'title' => $events[$actionId],
            'object_id' => $objectId, 'old' => $oldValues, 'new' => $newValues]);
    }
}

class pm_Log
{
    private static function put($level, $m)
    {
        file_put_contents(pm_Context::getVarDir() . '__pm.log', gmdate('c') . " $level $m\n", FILE_APPEND | LOCK_EX);
    }
    public static function err($m) { self::put('err', $m); }
    public static function warn($m) { self::put('warn', $m); }
    public static function info($m) { self::put('info', $m); }
    public static function debug($m) { self::put('debug', $m); }
}

abstract class pm_LongTask_Task
{
    const STATUS_NOT_STARTED = 'not_started';
    const STATUS_RUNNING = 'running';
    const STATUS_ERROR = 'error';
    const STATUS_DONE = 'done';
    public $trackProgress = false;
    public $hidden = false;
    private $params = [];
    private $status = self::STATUS_NOT_STARTED;
    public $progress = 0;
    private $id = null;
    private $file = null;
    private $error = null;
    public $cookies = [];
    abstract public function run();
    public function statusMessage() { return ''; }
    public function onStart() {}
    public function onDone() {}
    public function onError(Exception $e) {}
    public function setParams(array $p) { $this->params = $p; $this->save(); }
    public function setParam($k, $v) { $this->params[$k] = $v; $this->save(); }
    public function getParam($k, $d = null) { return isset($this->params[$k]) ? $this->params[$k] : $d; }
    public function getParams() { return $this->params; }
    public function updateProgress($p) { $this->progress = (int)$p; $this->save(); }
    public function getStatus() { return $this->status; }
    public function setStatus($s) { $this->status = $s; $this->save(); }
    public function getId() { return $this->id; }
    public function setError($m) { $this->error = (string)$m; $this->save(); }
    /* the stand-in's persistence: one JSON file per task in var/tasks/ */
    public function bind($id, $file) { $this->id = $id; $this->file = $file; }
    public function save()
    {
        if ($this->file === null) {
            return;
        }
        $d = ['id' => $this->id, 'class' => get_class($this), 'params' => $this->params,
            'status' => $this->status, 'progress' => $this->progress, 'message' => $this->statusMessage(),
            'error' => $this->error, 'cookies' => $this->cookies, 'updated' => microtime(true)];
        $tmp = $this->file . '.' . getmypid() . '.tmp';
        file_put_contents($tmp, json_encode($d));
        rename($tmp, $this->file);
    }
}

class pm_LongTask_Manager
{
    public static function dir()
    {
        $d = pm_Context::getVarDir() . 'tasks';
        if (!is_dir($d)) {
            @mkdir($d, 0700, true);
        }
        return $d;
    }

    /* As Plesk does: the task's parameters are persisted and run() happens
     * in another process (tests/browser/stub/task-runner.php); this request
     * returns at once. */
    public function start(pm_LongTask_Task $task, $domain = null)
    {
        $uid = defined(get_class($task) . '::UID') ? constant(get_class($task) . '::UID') : get_class($task);
        $id = 'task_' . preg_replace('/[^A-Za-z0-9_-]/', '', $uid) . '_' . bin2hex(random_bytes(4));
        $file = self::dir() . '/' . $id . '.json';
        foreach (['mc_test_faketime', 'mc_locale'] as $c) {
            if (isset($_COOKIE[$c]) && is_string($_COOKIE[$c])) {
                $task->cookies[$c] = $_COOKIE[$c];
            }
        }
        $task->bind($id, $file);
        $task->save();
        $cmd = 'setsid -f ' . escapeshellarg(PHP_BINARY) . ' ' . escapeshellarg(__DIR__ . '/task-runner.php') . ' '
            . escapeshellarg($file) . ' </dev/null >>' . escapeshellarg(self::dir() . '/runner.log') . ' 2>&1';
        exec($cmd, $out, $rc);
        if ($rc !== 0) {
            $task->setError('cannot start the task runner (exit ' . $rc . ')');
            $task->setStatus(pm_LongTask_Task::STATUS_ERROR);
        }
        return $task;
    }

    /** The tasks as plain arrays (newest last). */
    public static function all()
    {
        $out = [];
        foreach (glob(self::dir() . '/task_*.json') ?: [] as $f) {
            $t = json_decode((string)@file_get_contents($f), true);
            if (is_array($t)) {
                unset($t['cookies'], $t['params']);
                $out[] = $t;
            }
        }
        usort($out, function ($a, $b) { return $a['updated'] <=> $b['updated']; });
        return $out;
    }
}

class pm_View_Status
{
    public function addMessage($type, $msg, $noEscape = false)
    {
        $_SESSION['status'][] = ['type' => $type, 'msg' => (string)$msg];
    }
    public function addInfo($m) { $this->addMessage('info', $m); }
    public function addError($m) { $this->addMessage('error', $m); }
}

class pm_StubView
{
    private $vars = [];
    public $links = [];
    public $scripts = [];
    public function __get($k) { return isset($this->vars[$k]) ? $this->vars[$k] : null; }
    public function __set($k, $v) { $this->vars[$k] = $v; }
    public function __isset($k) { return isset($this->vars[$k]); }
    public function __unset($k) { unset($this->vars[$k]); }
    public function escape($v) { return htmlspecialchars((string)$v, ENT_QUOTES, 'UTF-8'); }
    public function lmsg($k, $p = []) { return pm_Locale::lmsg($k, $p); }
    public function headLink() { return new class($this) { private $v; function __construct($v) { $this->v = $v; } function appendStylesheet($u) { $this->v->links[] = $u; return $this; } }; }
    public function headScript() { return new class($this) { private $v; function __construct($v) { $this->v = $v; } function appendFile($u) { $this->v->scripts[] = $u; return $this; } }; }
    public function renderTabs($tabs)
    {
        $out = '<ul class="mc-tabs">';
        foreach ((array)$tabs as $t) {
            $out .= '<li><a href="' . $this->escape(pm_Context::getActionUrl('index', $t['action'])) . '">' . $this->escape($t['title']) . '</a></li>';
        }
        return $out . '</ul>';
    }
    public function render($file)
    {
        ob_start();
        include $file;
        return ob_get_clean();
    }
}

class pm_StubRequest
{
    private $params;
    public function __construct(array $params) { $this->params = $params; }
    public function isPost() { return $_SERVER['REQUEST_METHOD'] === 'POST'; }
    public function getMethod() { return $_SERVER['REQUEST_METHOD']; }
    public function getPost($k = null, $d = null) { return $k === null ? $_POST : (isset($_POST[$k]) ? $_POST[$k] : $d); }
    public function getQuery($k = null, $d = null) { return $k === null ? $_GET : (isset($_GET[$k]) ? $_GET[$k] : $d); }
    public function getParam($k, $d = null)
    {
        foreach ([$this->params, $_GET, $_POST] as $src) {
            if (isset($src[$k])) {
                return $src[$k];
            }
        }
        return $d;
    }
    public function getParams() { return array_merge($_POST, $_GET, $this->params); }
}

class pm_StubResponse
{
    public $code = 200;
    public function setHttpResponseCode($c) { $this->code = (int)$c; return $this; }
}

class pm_StubRedirect extends Exception {}

abstract class pm_Controller_Action
{
    public $view;
    protected $_status;
    protected $_accessLevel;
    protected $_helper;
    private $request;
    private $response;

    public function __construct(pm_StubRequest $req, pm_StubView $view)
    {
        $this->request = $req;
        $this->response = new pm_StubResponse();
        $this->view = $view;
        $this->_status = new pm_View_Status();
        $this->_helper = new class {
            public $json = null;
            public $noRender = false;
            public $viewRenderer;
            public $layout;
            public function __construct()
            {
                $self = $this;
                $this->viewRenderer = new class($self) { private $h; function __construct($h) { $this->h = $h; } function setNoRender($b = true) { $this->h->noRender = $b; } };
                $this->layout = new class { function disableLayout() {} };
            }
            public function json($data) { $this->json = $data; $this->noRender = true; }
        };
    }
    public function init() {}
    public function getRequest() { return $this->request; }
    public function getResponse() { return $this->response; }
    public function helper() { return $this->_helper; }
    public function accessLevel() { return $this->_accessLevel; }
    protected function _getParam($k, $d = null) { return $this->request->getParam($k, $d); }
    protected function _redirect($url)
    {
        throw new pm_StubRedirect(pm_Context::getBaseUrl() . 'index.php/' . ltrim($url, '/'));
    }
    public static function lmsg($k, $p = []) { return pm_Locale::lmsg($k, $p); }
}

class pm_Application
{
    public function run()
    {
        header('X-Content-Type-Options: nosniff');
        header("Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self'");
        $route = array_values(array_filter(explode('/', (string)$_SERVER['MC_ROUTE']), 'strlen'));
        $ctl = isset($route[0]) ? $route[0] : 'index';
        $act = isset($route[1]) ? $route[1] : 'index';
        $params = [];
        for ($i = 2; $i + 1 < count($route); $i += 2) {
            $params[$route[$i]] = $route[$i + 1];
        }
        if (!preg_match('/^[a-z][a-z-]*$/', $ctl) || !preg_match('/^[a-z][a-z-]*$/', $act)) {
            return $this->fail(404, 'not found');
        }
        if ($_SERVER['REQUEST_METHOD'] === 'POST') {
            $t = isset($_POST['forgery_protection_token']) ? $_POST['forgery_protection_token']
                : (isset($_SERVER['HTTP_X_FORGERY_PROTECTION_TOKEN']) ? $_SERVER['HTTP_X_FORGERY_PROTECTION_TOKEN'] : '');
            $skip = isset($_COOKIE['mc_test_no_platform_csrf']) && $_COOKIE['mc_test_no_platform_csrf'] === '1';
            if (!$skip && (!is_string($t) || !hash_equals($_SESSION['csrf'], $t))) {
                return $this->fail(403, 'CSRF token missing or wrong: request refused');
            }
            unset($_POST['forgery_protection_token']);
        }
        $class = ucfirst($ctl) . 'Controller';
        $file = pm_Context::getPlibDir() . 'controllers/' . $class . '.php';
        if (!is_file($file)) {
            return $this->fail(404, 'not found');
        }
        require_once $file;
        $method = lcfirst(str_replace(' ', '', ucwords(str_replace('-', ' ', $act)))) . 'Action';
        $view = new pm_StubView();
        $c = new $class(new pm_StubRequest($params), $view);
        if (!method_exists($c, $method)) {
            return $this->fail(404, 'not found');
        }
        try {
            $c->init();
            if ($c->accessLevel() !== 'admin') {
                return $this->fail(403, 'controller does not set admin access');
            }
            $c->$method();
        } catch (pm_StubRedirect $r) {
            header('Location: ' . $r->getMessage(), true, 303);
            return;
        } catch (Exception $e) {
            $code = $c->getResponse()->code >= 400 ? $c->getResponse()->code : 400;
            return $this->fail($code, $e->getMessage());
        }
        $h = $c->helper();
        if ($h->json !== null) {
            header('Content-Type: application/json');
            echo json_encode($h->json);
            return;
        }
        if ($h->noRender) {
            return;
        }
        $tpl = pm_Context::getPlibDir() . 'views/scripts/' . $ctl . '/' . $act . '.phtml';
        $content = $view->render($tpl);
        $this->layout($view, $content);
    }

    private function layout($view, $content)
    {
        header('Content-Type: text/html; charset=utf-8');
        $st = isset($_SESSION['status']) ? $_SESSION['status'] : [];
        $_SESSION['status'] = [];
        echo '<!DOCTYPE html><html lang="' . htmlspecialchars(pm_Locale::getCode()) . '"><head><meta charset="utf-8">';
        echo '<meta name="forgery_protection_token" id="forgery_protection_token" content="' . htmlspecialchars($_SESSION['csrf']) . '">';
        echo '<title>' . htmlspecialchars((string)$view->pageTitle) . '</title>';
        foreach ($view->links as $l) {
            echo '<link rel="stylesheet" href="' . htmlspecialchars($l) . '">';
        }
        foreach ($view->scripts as $s) {
            echo '<script src="' . htmlspecialchars($s) . '"></script>';
        }
        echo '</head><body><h1>' . htmlspecialchars((string)$view->pageTitle) . '</h1><div id="mc-status">';
        foreach ($st as $m) {
            echo '<div class="msg-box msg-' . htmlspecialchars($m['type']) . '" role="status">' . htmlspecialchars($m['msg']) . '</div>';
        }
        /* Plesk's task list: the long tasks, polled by the page */
        echo '</div><div id="pm-tasks" aria-live="polite"></div><script src="/__stub/tasks.js"></script>';
        echo $content . '</body></html>';
    }

    private function fail($code, $msg)
    {
        http_response_code($code);
        header('Content-Type: text/html; charset=utf-8');
        echo '<!DOCTYPE html><html><body><p class="mc-error" id="mc-fail">' . htmlspecialchars($msg) . '</p></body></html>';
    }
}
