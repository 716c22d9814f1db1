// The presence page: logs in through the Rocket.Chat API, then follows users.presence.stream with a fresh ticket
// for every (re)connection. Uses the public API only; no framework, no build step.
'use strict';

(() => {
  const SESSION_KEY = 'presence-session';
  const STATUS_LABELS = { online: 'Online', away: 'Away', busy: 'Busy', offline: 'Offline' };
  const FIRST_RETRY_MS = 1000;
  const MAX_RETRY_MS = 30000;
  /** Until the service says (heartbeatSeconds in each answer), the default period of users.presence.heartbeat. */
  const DEFAULT_HEARTBEAT_MS = 12000;
  /** Rocket.Chat's default idle time limit: without input for this long, the device tells the service it is idle. */
  const IDLE_MS = 300000;
  /** What counts as the user being at this device. */
  const INPUT_EVENTS = ['pointerdown', 'pointermove', 'keydown', 'touchstart', 'wheel', 'focus'];

  const byId = (id) => document.getElementById(id);
  const view = {
    connection: byId('connection'),
    login: byId('login'),
    loginForm: byId('login-form'),
    loginError: byId('login-error'),
    presence: byId('presence'),
    ownHeading: byId('own-heading'),
    signedInAs: byId('signed-in-as'),
    statusForm: byId('status-form'),
    statusSelect: byId('status-select'),
    statusText: byId('status-text'),
    statusResult: byId('status-result'),
    users: byId('users'),
    usersCount: byId('users-count'),
    usersEmpty: byId('users-empty'),
    logout: byId('logout'),
  };

  /** The login ({userId, authToken}); kept in sessionStorage so a reload stays logged in, and only this tab sees it. */
  let session = null;
  /** Present users by id, as the stream last told. */
  const present = new Map();
  let source = null;
  let retryTimer = null;
  let retryMs = FIRST_RETRY_MS;
  let lastEventId = '';
  /** Bumped whenever the stream must stop, so callbacks of an older connection do nothing. */
  let generation = 0;
  /**
   * Whether the current stream is open. Heartbeats are sent only then: they keep its connection alive, and one sent
   * without a stream would make a connection of its own that outlives the tab by a lease.
   */
  let streamOpen = false;
  let heartbeatTimer = null;
  let heartbeatMs = DEFAULT_HEARTBEAT_MS;
  /** One heartbeat at a time, so the service gets them in order and the last state sent is the one it keeps. */
  let heartbeatInFlight = false;
  let heartbeatAgain = false;
  /** Idle: no input for IDLE_MS. The heartbeats then say `away`. */
  let idle = false;
  let lastInputAt = Date.now();
  let idleTimer = null;

  class SessionEnded extends Error {}

  function saveSession(value) {
    session = value;
    if (value === null) sessionStorage.removeItem(SESSION_KEY);
    else sessionStorage.setItem(SESSION_KEY, JSON.stringify(value));
  }

  function storedSession() {
    try {
      const value = JSON.parse(sessionStorage.getItem(SESSION_KEY) || 'null');
      return value && typeof value.userId === 'string' && typeof value.authToken === 'string' ? value : null;
    } catch {
      return null;
    }
  }

  /**
   * One authenticated API call; a 401 means the login is gone, so the page goes back to the login form, unless the
   * login it was made with has already gone (a heartbeat answered after Log out).
   */
  async function api(method, path, body) {
    const sentWith = session;
    const headers = { 'X-User-Id': session.userId, 'X-Auth-Token': session.authToken };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`/api/v1/${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
    const answer = await res.json().catch(() => ({}));
    if (res.status === 401) {
      if (session === sentWith) signedOut('Your login has ended. Please log in again.');
      throw new SessionEnded();
    }
    if (!res.ok) throw new Error(answer.error || `The service answered ${res.status}.`);
    return answer;
  }

  function setConnection(state) {
    const texts = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', off: '' };
    view.connection.dataset.state = state;
    view.connection.textContent = texts[state];
  }

  function connect() {
    const mine = ++generation;
    api('POST', 'users.presence.stream.ticket').then(({ ticket }) => {
      if (mine !== generation) return;
      const query = new URLSearchParams({ ticket });
      if (lastEventId !== '') query.set('lastEventId', lastEventId);
      const stream = new EventSource(`/api/v1/users.presence.stream?${query}`);
      source = stream;
      stream.addEventListener('open', () => {
        retryMs = FIRST_RETRY_MS;
        setConnection('live');
        // The service has recorded the stream's connection by now, so the heartbeat renews it rather than adding one.
        streamOpen = true;
        sendHeartbeat();
      });
      stream.addEventListener('presence', (event) => {
        lastEventId = event.lastEventId;
        apply(JSON.parse(event.data));
      });
      // EventSource would retry with the same URL, whose ticket is spent: close it and reconnect with a new one.
      stream.addEventListener('error', () => {
        stream.close();
        if (mine === generation) {
          stopHeartbeats();
          reconnectLater();
        }
      });
    }, (error) => {
      if (!(error instanceof SessionEnded) && mine === generation) reconnectLater();
    });
  }

  /** Exponential backoff with jitter, so many pages do not come back at the same instant after a restart. */
  function reconnectLater() {
    setConnection('reconnecting');
    const delay = retryMs / 2 + Math.random() * (retryMs / 2);
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
    retryTimer = setTimeout(connect, delay);
  }

  function stopStream() {
    generation += 1;
    stopHeartbeats();
    clearTimeout(retryTimer);
    if (source !== null) source.close();
    source = null;
    lastEventId = '';
    retryMs = FIRST_RETRY_MS;
    present.clear();
    setConnection('off');
  }

  /**
   * users.presence.heartbeat: this device is alive, in use (`online`) or idle (`away`). Sent when a stream opens, when
   * the device goes idle or comes back, and then every heartbeatSeconds after the last answer. The next one is set
   * from the answer, not from a timer's callback: in a tab hidden for 5 minutes Chrome runs timers set from timer
   * callbacks (chained) once a minute, which would let the connection's lease run out. A failure other than a 401 is
   * tried again a period later.
   */
  function sendHeartbeat() {
    clearTimeout(heartbeatTimer);
    heartbeatTimer = null;
    if (!streamOpen) return;
    if (heartbeatInFlight) {
      heartbeatAgain = true;
      return;
    }
    heartbeatInFlight = true;
    api('POST', 'users.presence.heartbeat', { status: idle ? 'away' : 'online' })
      .then(({ heartbeatSeconds }) => {
        if (Number.isFinite(heartbeatSeconds) && heartbeatSeconds > 0) heartbeatMs = heartbeatSeconds * 1000;
      }, () => undefined)
      .then(() => {
        heartbeatInFlight = false;
        const again = heartbeatAgain;
        heartbeatAgain = false;
        if (!streamOpen) return;
        if (again) sendHeartbeat();
        else heartbeatTimer = setTimeout(sendHeartbeat, heartbeatMs);
      });
  }

  /** With the stream: the next stream's opening sends the first heartbeat again. */
  function stopHeartbeats() {
    streamOpen = false;
    heartbeatAgain = false;
    clearTimeout(heartbeatTimer);
    heartbeatTimer = null;
  }

  /** Any input: only its time is noted (pointermove fires often). A device back from idle says so at once. */
  function noteInput() {
    lastInputAt = Date.now();
    if (!idle) return;
    idle = false;
    watchIdle();
    sendHeartbeat();
  }

  /** Wakes up when the device would go idle, and goes idle unless there was input meanwhile. */
  function watchIdle() {
    clearTimeout(idleTimer);
    const left = lastInputAt + IDLE_MS - Date.now();
    if (left > 0) {
      idleTimer = setTimeout(watchIdle, left);
      return;
    }
    idle = true;
    sendHeartbeat();
  }

  /**
   * An event: `full` replaces the list, otherwise it updates the users it names; an offline user leaves. Each status
   * is the one the service decided (effectiveStatus, an expired presence included): the page keeps no rule of its own.
   */
  function apply({ users, full }) {
    if (full) present.clear();
    for (const user of users) {
      if (user.status === 'offline') present.delete(user._id);
      else present.set(user._id, user);
      if (user._id === session.userId) showOwnStatus(user);
    }
    renderUsers();
  }

  function renderUsers() {
    const sorted = [...present.values()].sort((a, b) => a.name.localeCompare(b.name) || a.username.localeCompare(b.username));
    view.users.replaceChildren(...sorted.map(userItem));
    view.usersCount.textContent = `(${sorted.length})`;
    view.usersEmpty.hidden = sorted.length > 0;
  }

  function userItem(user) {
    const item = document.createElement('li');
    item.className = user._id === session.userId ? 'user user-self' : 'user';
    item.dataset.userId = user._id;
    const part = (className, text, attributes = {}) => {
      const element = document.createElement('span');
      element.className = className;
      element.textContent = text;
      Object.assign(element.dataset, attributes);
      return element;
    };
    item.append(
      part('user-name', user.name || user.username),
      part('user-handle', `@${user.username}${user._id === session.userId ? ' (you)' : ''}`),
      part('user-status', STATUS_LABELS[user.status] || user.status, { status: user.status }),
      part('user-text', user.statusText || ''),
    );
    return item;
  }

  /** The form shows the caller's own status, except while the caller is editing it. */
  function showOwnStatus(user) {
    if (document.activeElement === view.statusSelect || document.activeElement === view.statusText) return;
    view.statusSelect.value = user.status;
    view.statusText.value = user.statusText || '';
  }

  function showPresence(me) {
    view.signedInAs.textContent = `Logged in as ${me.name || me.username} (@${me.username}).`;
    showOwnStatus(me);
    view.statusResult.textContent = '';
    view.login.hidden = true;
    view.presence.hidden = false;
    renderUsers();
    setConnection('connecting');
    connect();
  }

  function signedOut(message) {
    stopStream();
    saveSession(null);
    view.presence.hidden = true;
    view.login.hidden = false;
    view.loginError.textContent = message;
    byId('login-user').focus();
  }

  view.loginForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = new FormData(view.loginForm);
    view.loginError.textContent = '';
    try {
      const res = await fetch('/api/v1/login', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ user: form.get('user'), password: form.get('password') }),
        cache: 'no-store',
      });
      const answer = await res.json().catch(() => ({}));
      // Past the failed-login limit the answer is Rocket.Chat's blocked login: 401 with error-login-blocked-for-ip/-user.
      if (res.status === 401 && String(answer.error).startsWith('error-login-blocked')) throw new Error('Too many failed logins. Wait a minute and try again.');
      if (res.status === 401) throw new Error('Wrong user name or password.');
      if (!res.ok) throw new Error(answer.error || `The service answered ${res.status}.`);
      saveSession({ userId: answer.data.userId, authToken: answer.data.authToken });
      view.loginForm.reset();
      showPresence(answer.data.me);
      view.ownHeading.focus();
    } catch (error) {
      view.loginError.textContent = error instanceof TypeError ? 'The service cannot be reached.' : error.message;
    }
  });

  view.statusForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    view.statusResult.textContent = 'Saving…';
    try {
      await api('POST', 'users.setStatus', { status: view.statusSelect.value, message: view.statusText.value });
      view.statusResult.textContent = 'Status saved.';
    } catch (error) {
      if (!(error instanceof SessionEnded)) view.statusResult.textContent = `Not saved: ${error.message}`;
    }
  });

  view.logout.addEventListener('click', async () => {
    stopStream();
    // Logged out here whatever the service answers: the token is dropped from this tab either way.
    await api('POST', 'logout').catch(() => undefined);
    signedOut('');
  });

  for (const type of INPUT_EVENTS) window.addEventListener(type, noteInput, { capture: true, passive: true });
  watchIdle();

  const stored = storedSession();
  if (stored !== null) {
    session = stored;
    api('GET', 'me').then(showPresence, (error) => {
      if (!(error instanceof SessionEnded)) signedOut(`Could not restore the login: ${error.message}`);
    });
  }
})();
