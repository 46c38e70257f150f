<?php
// Uninstall: remove the scheduled tick task (and any other task of ours).
pm_Loader::registerAutoload();
pm_Context::init('mail-cutover');

pm_Scheduler::getInstance()->removeAllTasks();
pm_Settings::clean();
exit(0);
