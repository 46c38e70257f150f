<?php
/**
 * Migrate (or another bulk action) over many domains in the background,
 * in batches, with progress. Started by IndexController::actionAction.
 * At the end, one notification digest per event and the Action Log.
 */
class Modules_MailCutover_Task_Migrate extends pm_LongTask_Task
{
    const UID = 'mail-cutover-migrate';
    const BATCH = 100;

    public $trackProgress = true;

    public function run()
    {
        /* no web session here: the actor is the one who started it */
        Modules_MailCutover_Helper::setActor((string)$this->getParam('actor', ''));
        $cmd = (string)$this->getParam('command', 'migrate');
        $domains = (array)$this->getParam('domains', []);
        $total = max(1, count($domains));
        $done = 0;
        $answers = [];
        try {
            foreach (array_chunk($domains, self::BATCH) as $chunk) {
                $r = Modules_MailCutover_Helper::domainCommand($cmd, $chunk);
                Modules_MailCutover_Store::record($cmd, $chunk, $r);
                $answers[] = $r;
                $done += count($chunk);
                $this->updateProgress((int)floor(100 * $done / $total));
            }
        } finally {
            /* one digest per event for the whole task, even if it stopped */
            Modules_MailCutover_Events::afterRun('task', $cmd, $answers,
                array_slice($domains, 0, $done));
        }
    }

    public function statusMessage()
    {
        switch ($this->getStatus()) {
            case static::STATUS_RUNNING:
                return pm_Locale::lmsg('taskRunning', ['count' => count((array)$this->getParam('domains', []))]);
            case static::STATUS_DONE:
                return pm_Locale::lmsg('taskDone');
        }
        return '';
    }
}
