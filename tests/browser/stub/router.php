<?php
/*
 * Router for `php -S`: serves the staged extension (build/ext/mail-cutover)
 * at /modules/mail-cutover/ as Plesk would, with the pm_* stand-in of
 * pm.php. Test harness only; never part of the extension package.
 * Environment: MC_EXT_DIR, MC_SBIN_DIR, MC_CONFIG, MC_VAR_DIR, MC_CALL_LOG.
 */
$uri = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
$base = '/modules/mail-cutover/';
/* the stand-in's own pages: Plesk's task list (JSON) and its poller */
if ($uri === '/__stub/tasks') {
    require __DIR__ . '/pm.php';
    header('Content-Type: application/json');
    header('Cache-Control: no-store');
    echo json_encode(['tasks' => pm_LongTask_Manager::all()]);
    return true;
}
if ($uri === '/__stub/tasks.js') {
    header('Content-Type: text/javascript');
    readfile(__DIR__ . '/tasks.js');
    return true;
}
if ($uri === '/' || $uri === $base) {
    header('Location: ' . $base . 'index.php/index/index');
    return true;
}
if (strncmp($uri, $base, strlen($base)) !== 0) {
    http_response_code(404);
    echo "not found\n";
    return true;
}
$rest = substr($uri, strlen($base));
if ($rest === 'index.php' || strncmp($rest, 'index.php/', 10) === 0) {
    $_SERVER['MC_ROUTE'] = (string)substr($rest, 10);
    require __DIR__ . '/pm.php';
    require getenv('MC_EXT_DIR') . '/htdocs/index.php';
    return true;
}
$file = realpath(getenv('MC_EXT_DIR') . '/htdocs/' . $rest);
$root = realpath(getenv('MC_EXT_DIR') . '/htdocs');
if ($file === false || strncmp($file, $root . '/', strlen($root) + 1) !== 0 || !is_file($file)
    || substr($file, -4) === '.php') {
    http_response_code(404);
    echo "not found\n";
    return true;
}
$types = ['css' => 'text/css', 'js' => 'text/javascript', 'png' => 'image/png', 'svg' => 'image/svg+xml'];
$ext = pathinfo($file, PATHINFO_EXTENSION);
header('Content-Type: ' . (isset($types[$ext]) ? $types[$ext] : 'application/octet-stream'));
readfile($file);
return true;
