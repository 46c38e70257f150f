<?php
/** Long tasks with progress: Migrate (and other bulk actions) over many domains. */
class Modules_MailCutover_LongTasks extends pm_Hook_LongTasks
{
    public function getLongTasks()
    {
        return [new Modules_MailCutover_Task_Migrate()];
    }
}
