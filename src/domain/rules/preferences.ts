/**
 * The preferences a Rocket.Chat user has before choosing any: the defaults of a Rocket.Chat server
 * (Accounts_Default_User_Preferences_*, Community Edition), which `/me` answers in `settings.preferences` and clients
 * read at start-up. This service stores no preferences of its own, so every user has these.
 */
export const DEFAULT_USER_PREFERENCES: Readonly<Record<string, unknown>> = Object.freeze({
  alsoSendThreadToChannel: 'default',
  newRoomNotification: 'door',
  newMessageNotification: 'chime',
  showThreadsInMainChannel: false,
  useEmojis: true,
  convertAsciiEmoji: true,
  saveMobileBandwidth: true,
  collapseMediaByDefault: false,
  autoImageLoad: true,
  emailNotificationMode: 'mentions',
  unreadAlert: true,
  notificationsSoundVolume: 100,
  omnichannelTranscriptEmail: false,
  desktopNotifications: 'all',
  pushNotifications: 'all',
  enableAutoAway: true,
  desktopNotificationRequireInteraction: false,
  hideUsernames: false,
  hideRoles: false,
  displayAvatars: true,
  hideFlexTab: false,
  sendOnEnter: 'normal',
  idleTimeLimit: 300,
  sidebarShowFavorites: true,
  sidebarShowUnread: false,
  themeAppearence: 'auto',
  sidebarSortby: 'activity',
  sidebarViewMode: 'medium',
  sidebarDisplayAvatar: true,
  sidebarGroupByType: true,
  sidebarSectionsOrder: Object.freeze(['Incoming_Calls', 'Incoming_Livechats', 'Open_Livechats', 'On_Hold_Chats', 'Unread', 'Favorites', 'Teams', 'Discussions', 'Channels', 'Direct_Messages', 'Conversations']),
  muteFocusedConversations: true,
  notifyCalendarEvents: true,
  enableMobileRinging: true,
  // A JSON string, as Rocket.Chat's setting holds it.
  featuresPreview: '[]',
});
