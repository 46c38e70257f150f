<?php
/**
 * Mail Cutover pages: the domain list (bulk actions), a domain's checklist,
 * the settings. Administrators only; every change is a POST that carries
 * the extension's own CSRF token (Modules_MailCutover_Csrf, checked in
 * init(), whether or not Plesk checks its own) and goes through
 * Modules_MailCutover_Helper.
 */
class IndexController extends pm_Controller_Action
{
    const PER_PAGE = 50;
    const SYNC_MAX = 20;    /* more domains than this: a long task */

    private static $states = ['new', 'planned', 'prepared', 'switched',
        'synced', 'mail_disabled', 'verified', 'done', 'rolling_back',
        'rolled_back', 'unknown'];
    private static $bulk = ['plan', 'prepare', 'migrate', 'verify', 'rollback'];

    public function init()
    {
        $this->_accessLevel = 'admin';
        parent::init();
        if (!pm_Session::getClient()->isAdmin()) {
            throw new pm_Exception($this->lmsg('errorAdminOnly'));
        }
        /* our own CSRF check on every POST, not only the platform's */
        if ($this->getRequest()->isPost() &&
            !Modules_MailCutover_Csrf::valid($this->getRequest()->getPost(), $_SERVER)) {
            $this->getResponse()->setHttpResponseCode(403);
            throw new pm_Exception($this->lmsg('errorCsrf'));
        }
        Modules_MailCutover_Csrf::token();  /* sets the nonce cookie before any output */
        $this->view->pageTitle = $this->lmsg('pageTitle');
        $this->view->tabs = [
            ['title' => $this->lmsg('tabDomains'), 'action' => 'index'],
            ['title' => $this->lmsg('tabSettings'), 'action' => 'settings'],
        ];
        $this->view->headLink()->appendStylesheet(pm_Context::getBaseUrl() . 'css/cutover.css');
        $this->view->headScript()->appendFile(pm_Context::getBaseUrl() . 'js/cutover.js');
    }

    private function requirePost()
    {
        if (!$this->getRequest()->isPost()) {
            $this->getResponse()->setHttpResponseCode(405);
            throw new pm_Exception($this->lmsg('errorPostOnly'));
        }
    }

    /** The list's query (filter, sort, page), whitelisted. */
    private function listQuery(array $src)
    {
        $q = [];
        if (isset($src['state']) && in_array($src['state'], self::$states, true)) {
            $q['state'] = $src['state'];
        }
        if (isset($src['sort']) && in_array($src['sort'], ['domain', 'state', 'next', 'result'], true)) {
            $q['sort'] = $src['sort'];
        }
        if (isset($src['dir']) && $src['dir'] === 'desc') {
            $q['dir'] = 'desc';
        }
        if (isset($src['q']) && is_string($src['q']) && $src['q'] !== '') {
            $q['q'] = substr(preg_replace('/[^A-Za-z0-9.\-]/', '', $src['q']), 0, 100);
        }
        if (isset($src['page']) && ctype_digit((string)$src['page']) && (int)$src['page'] > 1) {
            $q['page'] = (int)$src['page'];
        }
        return $q;
    }

    /**
     * The domain list: the helper filters, sorts and pages (`list --page`),
     * so a page costs the same for 50 domains or 10,000; only the page's
     * rows come back, with the total and the count per state.
     */
    public function indexAction()
    {
        $q = $this->listQuery($this->getRequest()->getQuery());
        $r = Modules_MailCutover_Helper::listPage($q, self::PER_PAGE);
        $j = $r['json'];
        $ok = is_array($j) && isset($j['domains']) && is_array($j['domains']);
        $this->view->error = $ok ? null : $r['error'];
        $rows = [];
        foreach ($ok ? $j['domains'] : [] as $d) {
            if (!isset($d['domain']) || !is_string($d['domain'])) {
                continue;
            }
            $state = isset($d['state']) ? (string)$d['state'] : 'unknown';
            $next = isset($d['next']) && is_array($d['next']) ? $d['next'] : [];
            $last = Modules_MailCutover_Store::get($d['domain']);  /* this page's only */
            $rows[] = ['domain' => $d['domain'], 'state' => $state, 'next' => $next,
                'display' => isset($d['display']) && is_string($d['display']) ? $d['display'] : $d['domain'],
                'steps' => isset($d['steps']) ? $d['steps'] : [], 'last' => $last,
                'mail_off' => in_array($state, ['mail_disabled', 'verified', 'done'], true),
                'agree' => in_array($state, ['synced', 'mail_disabled', 'verified', 'done'], true)
                    ? true : ($last['agree'] ?? null)];
        }
        $counts = [];
        foreach (($ok && isset($j['counts']) && is_array($j['counts'])) ? $j['counts'] : [] as $s => $c) {
            if (in_array($s, self::$states, true)) {
                $counts[$s] = (int)$c;
            }
        }
        $this->view->rows = $rows;
        $this->view->counts = $counts;
        $this->view->states = self::$states;
        $this->view->query = $q;
        $this->view->page = $ok ? max(1, (int)($j['page'] ?? 1)) : 1;
        $this->view->pages = $ok ? max(1, (int)($j['pages'] ?? 1)) : 1;
        $this->view->total = $ok ? (int)($j['total'] ?? count($rows)) : 0;
        $this->view->now = time();
    }

    /** The domain from ?domain= or from the domain page button (site_id/dom_id). */
    private function domainParam()
    {
        $name = $this->_getParam('domain');
        if (!$name) {
            $id = (int)($this->_getParam('site_id') ?: $this->_getParam('dom_id'));
            if ($id > 0) {
                if (!pm_Session::getClient()->hasAccessToDomain($id)) {
                    throw new pm_Exception($this->lmsg('errorAdminOnly'));
                }
                $name = (new pm_Domain($id))->getName();
            }
        }
        if (!Modules_MailCutover_Helper::isDomain($name)) {
            throw new pm_Exception($this->lmsg('errorBadDomain',
                ['domain' => is_string($name) ? substr($name, 0, 100) : '']));
        }
        return strtolower($name);
    }

    public function domainAction()
    {
        $domain = $this->domainParam();
        $st = Modules_MailCutover_Helper::domainCommand('status', [$domain]);
        $log = Modules_MailCutover_Helper::domainCommand('log', [$domain]);
        $d = null;
        if ($st['json'] && !empty($st['json']['domains'][0])) {
            $d = $st['json']['domains'][0];
        }
        $entries = ($log['json'] && isset($log['json']['log']) && is_array($log['json']['log'])) ? $log['json']['log'] : [];
        $clients = false;
        $registrar = false;
        foreach ($entries as $e) {
            if (($e['step'] ?? '') === 'confirm-clients') {
                $clients = ($e['new'] ?? '') === 'yes';
            }
            if (($e['step'] ?? '') === 'registrar' || ($e['step'] ?? '') === 'finish' && strpos((string)($e['new'] ?? '') . (string)($e['result'] ?? ''), 'registrar') !== false) {
                $registrar = true;
            }
        }
        $this->view->domain = $domain;
        $this->view->d = $d;
        $this->view->error = $d === null ? ($st['error'] ?: $this->lmsg('errorNoAnswer')) : null;
        $this->view->last = Modules_MailCutover_Store::get($domain);
        $this->view->log = array_reverse($entries);
        $this->view->clients = $clients;
        $this->view->registrar = $registrar || ($d && ($d['state'] ?? '') === 'done');
    }

    /** Plan, Lower TTL, Migrate, Verify, Roll back over the selected domains. */
    public function actionAction()
    {
        $this->requirePost();
        $post = $this->getRequest()->getPost();
        $op = isset($post['op']) ? $post['op'] : '';
        $ids = isset($post['ids']) ? (array)$post['ids'] : [];
        if (isset($post['row']) && is_string($post['row'])) {
            $op = 'migrate';                /* the Migrate button of one row */
            $ids = [$post['row']];
        }
        if (!in_array($op, self::$bulk, true)) {
            throw new pm_Exception($this->lmsg('errorUnknownAction'));
        }
        $back = isset($post['back']) && $post['back'] === 'domain' && count($ids) === 1
            ? 'index/domain?' . http_build_query(['domain' => strtolower((string)reset($ids))])
            : 'index/index' . (($q = $this->listQuery(isset($post['return']) && is_string($post['return']) ? $this->parseQuery($post['return']) : [])) ? '?' . http_build_query($q) : '');
        try {
            $domains = Modules_MailCutover_Helper::domains($ids);
            if (!$domains) {
                throw new pm_Exception($this->lmsg('errorNoSelection'));
            }
        } catch (pm_Exception $e) {
            $this->_status->addMessage('error', $e->getMessage());
            $this->_redirect($back);
            return;
        }
        if (count($domains) > self::SYNC_MAX) {
            $task = new Modules_MailCutover_Task_Migrate();
            $task->setParams(['command' => $op, 'domains' => $domains,
                'actor' => (string)Modules_MailCutover_Helper::login()]);
            (new pm_LongTask_Manager())->start($task);
            $this->_status->addMessage('info', $this->lmsg('taskStarted', ['count' => count($domains)]));
            $this->_redirect($back);
            return;
        }
        $r = Modules_MailCutover_Helper::domainCommand($op, $domains);
        Modules_MailCutover_Store::record($op, $domains, $r);
        Modules_MailCutover_Events::afterRun('page', $op, [$r], $domains);
        $this->reportResult($op, $domains, $r);
        $this->_redirect($back);
    }

    private function parseQuery($s)
    {
        $out = [];
        parse_str(ltrim($s, '?'), $out);
        return $out;
    }

    private function reportResult($op, array $domains, array $r)
    {
        $failed = 0;
        $waiting = 0;
        $n = ['already' => 0, 'skipped' => 0, 'refused' => 0];
        foreach (($r['json']['domains'] ?? []) as $d) {
            $res = $d['result'] ?? '';
            $failed += ($res === 'failed') ? 1 : 0;
            /* busy: another run holds it; retried like a wait */
            $waiting += ($res === 'waiting' || $res === 'busy') ? 1 : 0;
            if (isset($n[$res])) {
                $n[$res]++;
            }
        }
        /* not failures, but the operator must see them: nothing was done */
        if ($n['already'] + $n['skipped'] + $n['refused'] > 0) {
            $this->_status->addMessage('warning', $this->lmsg('resultOutcomes', $n));
        }
        if ($r['error'] !== null && !$failed) {
            $this->_status->addMessage('error', $r['error']);
        } elseif ($failed) {
            $this->_status->addMessage('error', $this->lmsg('resultFailed', ['count' => $failed, 'total' => count($domains)]));
        } else {
            $this->_status->addMessage('info', $this->lmsg('resultDone', [
                'action' => $this->lmsg('op_' . $op), 'count' => count($domains), 'waiting' => $waiting]));
        }
    }

    /** The manual confirmations of the runbook, recorded in the audit log. */
    public function confirmAction()
    {
        $this->requirePost();
        $domain = $this->domainParam();
        $item = $this->getRequest()->getPost('item');
        $yes = $this->getRequest()->getPost('value') === 'yes';
        if ($item === 'clients') {
            $r = Modules_MailCutover_Helper::confirmClients($domain, $yes);
        } elseif ($item === 'registrar' && $yes) {
            $r = Modules_MailCutover_Helper::domainCommand('finish', [$domain], ['--confirm-registrar']);
            Modules_MailCutover_Store::record('finish', [$domain], $r);
            Modules_MailCutover_Events::afterRun('page', 'finish', [$r], [$domain]);
        } elseif ($item === 'quiet' && $yes) {
            /* quiet_max passed with mail still arriving: the operator's
               confirmation is a forced disable, journaled and audited */
            $r = Modules_MailCutover_Helper::domainCommand('disable-old-mail', [$domain], ['--force']);
            Modules_MailCutover_Store::record('disable-old-mail', [$domain], $r);
            Modules_MailCutover_Events::afterRun('page', 'disable-old-mail', [$r], [$domain]);
        } else {
            throw new pm_Exception($this->lmsg('errorUnknownAction'));
        }
        if ($r['error'] !== null) {
            $this->_status->addMessage('error', $r['error']);
        } else {
            $this->_status->addMessage('info', $this->lmsg($item === 'quiet' ? 'quietConfirmed' : 'confirmRecorded'));
        }
        $this->_redirect('index/domain?' . http_build_query(['domain' => $domain]));
    }

    public function settingsAction()
    {
        $values = null;
        if ($this->getRequest()->isPost()) {
            $post = $this->getRequest()->getPost();
            $in = [];
            foreach (['url', 'auth', 'login', 'pin', 'new_ip', 'lowered_ttl',
                'restored_ttl', 'min_wait', 'quiet_hours'] as $k) {
                if (isset($post[$k]) && is_string($post[$k])) {
                    $in[$k] = trim($post[$k]);
                }
            }
            if (isset($post['secret']) && is_string($post['secret']) && $post['secret'] !== '') {
                $in['secret'] = $post['secret'];    /* write-only */
            }
            $sec = [];
            foreach ((isset($post['sec_method']) && is_array($post['sec_method'])) ? $post['sec_method'] : [] as $name => $m) {
                if (is_string($name) && is_string($m)) {
                    $sec[] = ['name' => $name, 'method' => $m];
                }
            }
            if ($sec) {
                $in['secondaries'] = $sec;
            }
            if (($post['do'] ?? '') === 'pin') {
                $p = Modules_MailCutover_Helper::pin($in['url'] ?? '');
                $this->view->fetchedPin = $p['json']['pin'] ?? null;
                if ($p['error'] !== null) {
                    $this->_status->addMessage('error', $p['error']);
                }
                $values = $in;
            } else {
                $r = Modules_MailCutover_Helper::settingsSet($in);
                if ($r['code'] === 0) {
                    $this->_status->addMessage('info', $this->lmsg('settingsSaved'));
                    $this->_redirect('index/settings');
                    return;
                }
                $this->_status->addMessage('error', $r['error']);
                $values = $in;
            }
        }
        $g = Modules_MailCutover_Helper::settingsGet();
        $cur = $g['json'] ?: [];
        $this->view->settings = $cur;
        if (is_array($values)) {
            unset($values['secret']);   /* never echoed back */
        }
        $this->view->values = $values;
        $this->view->settingsError = $g['json'] === null ? $g['error'] : ($cur['error'] ?? null);
    }
}
