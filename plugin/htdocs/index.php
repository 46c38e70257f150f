<?php
// Mail Cutover: the extension's MVC entry point (admin pages only).
pm_Context::init('mail-cutover');
$application = new pm_Application();
$application->run();
