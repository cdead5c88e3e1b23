using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace Mqtt.Broker;

/// <summary>Everything a broker can be told; the defaults are the documented ones (docs/broker.md).</summary>
public sealed class BrokerOptions
{
    /// <summary>Plain TCP listeners. Default: 127.0.0.1:1883 when no listener of any kind is given.</summary>
    public List<IPEndPoint> Listeners { get; } = [];

    /// <summary>TLS listeners, served with <see cref="Certificate"/>.</summary>
    public List<IPEndPoint> TlsListeners { get; } = [];

    /// <summary>MQTT over WebSocket listeners (any request path; subprotocol "mqtt").</summary>
    public List<IPEndPoint> WebSocketListeners { get; } = [];

    /// <summary>MQTT over WebSocket over TLS listeners, served with <see cref="Certificate"/>.</summary>
    public List<IPEndPoint> TlsWebSocketListeners { get; } = [];

    /// <summary>Server certificate with its private key, for the TLS listeners.</summary>
    public X509Certificate2? Certificate { get; set; }

    /// <summary>Accept clients that present no credentials. Default false.</summary>
    public bool AllowAnonymous { get; set; }

    /// <summary>Largest packet accepted, advertised in CONNACK. Default 1 MiB.</summary>
    public int MaximumPacketSize { get; set; } = 1024 * 1024;

    /// <summary>
    /// Bytes of CONNECT and AUTH packets larger than 8 KiB that clients not yet accepted (no CONNACK 0x00 yet) may have
    /// the broker hold at once, all such clients together. Without it anyone could make the broker buffer a Maximum
    /// Packet Size per connection before saying who they are (400 connections: 470 MB); a large CONNECT past it is
    /// refused with CONNACK 0x89 (3.1.1: return code 3). Smaller packets need no share. 0 for no bound. Default 64 MiB.
    /// </summary>
    public long MaximumConnectingBytes { get; set; } = 64L << 20;

    /// <summary>
    /// How long a connection we closed after a last packet waits for its client to close too before resetting it (the
    /// lingering close, docs/broker.md). Fixed at 1 s outside tests, which lengthen it on a loaded machine.
    /// </summary>
    internal TimeSpan Linger { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>QoS 1/2 PUBLISHes a client may have unacknowledged towards us, advertised in CONNACK. Default 100.</summary>
    public ushort ReceiveMaximum { get; set; } = 100;

    /// <summary>Highest Topic Alias a client may use towards us. Default 10.</summary>
    public ushort TopicAliasMaximum { get; set; } = 10;

    /// <summary>
    /// Cap on a client's Keep Alive, returned as Server Keep Alive (MQTT 5); a 3.1.1 client asking for more, or for 0,
    /// is refused with return code 2. 0 for no cap. Default 0.
    /// </summary>
    public ushort MaximumKeepAlive { get; set; }

    /// <summary>
    /// Cap on how long a session outlives its connection, in seconds; 0 for no cap. An MQTT 5 client asking for more
    /// (or for "never", 0xFFFFFFFF) is told the cap in CONNACK; a 3.1.1 Clean Session 0 session, which otherwise lasts
    /// until the client cleans it, ends after it too, as with Mosquitto's <c>persistent_client_expiration</c>. Default 0.
    /// </summary>
    public uint MaximumSessionExpiry { get; set; }

    /// <summary>A Session Expiry Interval within <see cref="MaximumSessionExpiry"/>.</summary>
    internal uint CapSessionExpiry(uint requested) => MaximumSessionExpiry == 0 ? requested : Math.Min(requested, MaximumSessionExpiry);

    /// <summary>
    /// Most simultaneous connections; fewer when the open-files limit (`ulimit -n`) cannot hold them and 64 spare
    /// descriptors. Connections beyond it are closed at once. Default 100,000.
    /// </summary>
    public int MaximumConnections { get; set; } = 100_000;

    /// <summary>
    /// QoS 1/2 messages in flight to one client at a time: its Receive Maximum, capped here (Mosquitto's
    /// max_inflight_messages), as a client may announce 65,535 and the broker keeps each until it is acknowledged.
    /// Default 100.
    /// </summary>
    public int MaximumInflightMessages { get; set; } = 100;

    /// <summary>
    /// QoS 1/2 messages queued per session beyond its flight window. A message finding an online subscriber's queue
    /// full is queued anyway and its publisher not read further until a quarter of the queue is free (back-pressure, see
    /// <see cref="MaximumPublisherHold"/>); for an offline session it is dropped and counted. 0 for no bound, as
    /// Mosquitto's max_queued_messages. Default 1,000.
    /// </summary>
    public int MaximumQueuedMessages { get; set; } = 1000;

    /// <summary>
    /// Longest a publisher is held back for one online subscriber whose queue is full, waiting for a quarter of the
    /// queue to be free. A subscriber that does not take that much in this time is slow: publishers stop waiting for it,
    /// and its excess QoS 1/2 messages are dropped and counted until a quarter of its queue is free again and ten times
    /// this has passed. Default 1 s, well within
    /// any Keep Alive a client uses: a held publisher's PINGREQ is not read either.
    /// </summary>
    public TimeSpan MaximumPublisherHold { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>QoS 0 messages waiting for a slow connection before new ones are dropped. Default 1,000.</summary>
    public int MaximumPendingQoS0 { get; set; } = 1000;

    /// <summary>
    /// Bytes waiting to be sent to one connection (as Mosquitto's max_queued_bytes) beyond which the broker holds back:
    /// new QoS 0 deliveries to it are dropped (counted in <see cref="BrokerStatistics.BackedUpDrops"/>), QoS 1/2 ones
    /// wait in its session, and its own input is not read until its output drains. 0 for no bound. Default 1 MiB.
    /// </summary>
    public long MaximumQueuedBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Retained messages the broker keeps (its own $SYS ones aside). A retained PUBLISH on a new topic past it is refused
    /// as a whole: MQTT 5 PUBACK/PUBREC 0x97 Quota exceeded, in 3.1.1 acknowledged and dropped (as an unauthorized one);
    /// replacing or clearing a topic's message is not refused by it. Without a bound any client could grow the store
    /// until the process runs out of memory (a million small retained messages took 844 MB). 0 for no bound, as
    /// Mosquitto. Default 1,000,000.
    /// </summary>
    public int MaximumRetainedMessages { get; set; } = 1_000_000;

    /// <summary>
    /// Bytes of retained messages (their stored PUBLISH packets) the broker keeps; a retained PUBLISH that would pass it
    /// is refused as with <see cref="MaximumRetainedMessages"/>, a replacement only when it grows past it (and then
    /// the message it would have replaced is cleared: kept, it would be a stale value). 0 for no bound. Default 1 GiB.
    /// </summary>
    public long MaximumRetainedBytes { get; set; } = 1L << 30;

    /// <summary>Subscriptions per client. Default 1,000.</summary>
    public int MaximumSubscriptionsPerClient { get; set; } = 1000;

    /// <summary>
    /// Characters of all of a client's topic filters together. Each is kept whole and level by level in the topic
    /// tree, so without it 1,000 filters of 64 KiB held about 250 MB for one session (found by review). Default 256 Ki
    /// characters (a thousand filters of 256), about 1-2 MB at most per session.
    /// </summary>
    public int MaximumSubscriptionCharactersPerClient { get; set; } = 256 * 1024;

    /// <summary>
    /// Levels in a Topic Name or Filter. A PUBLISH to a deeper topic is refused (0x90; dropped in 3.1.1), a deeper
    /// filter gets SUBACK 0x8F, a deeper Will topic CONNACK 0x90 (return code 5). It bounds the depth of the topic
    /// tree, which every publish walks. Default 200 (Mosquitto 2.0 allows 200 separators, 201 levels).
    /// </summary>
    public int MaximumTopicLevels { get; set; } = 200;

    /// <summary>Time for a new connection to finish CONNECT and any authentication exchange. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Interval of the $SYS/broker/... topics; zero turns them off. Default 10 s.</summary>
    public TimeSpan SysInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The state file (docs/broker.md, "State across a restart"): retained messages and sessions that outlive their
    /// connection are loaded from it at <see cref="MqttBroker.StartAsync"/> and saved to it at
    /// <see cref="MqttBroker.StopAsync"/> and every <see cref="AutosaveInterval"/>, as Mosquitto's <c>persistence true</c>.
    /// Null keeps everything in memory only. Default null.
    /// </summary>
    public string? PersistenceFile { get; set; }

    /// <summary>
    /// How often the state is saved while the broker runs, so a crash loses only what changed since (Mosquitto's
    /// <c>autosave_interval</c>); zero saves only at <see cref="MqttBroker.StopAsync"/>. Default 30 minutes.
    /// </summary>
    public TimeSpan AutosaveInterval { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Enhanced authentication methods by Authentication Method name.</summary>
    public Dictionary<string, IEnhancedAuthenticator> EnhancedAuthenticators { get; } = new(StringComparer.Ordinal);

    /// <summary>Checks CONNECT User Name and Password; null when there is no credential store.</summary>
    public IPasswordAuthenticator? PasswordAuthenticator { get; set; }

    /// <summary>Publish, subscribe and delivery decisions.</summary>
    public IAuthorizer Authorizer { get; set; } = new DefaultAuthorizer();

    /// <summary>
    /// The credential store, if any: users removed from it are disconnected at once (DISCONNECT 0x98) and their
    /// sessions dropped. <see cref="BrokerSecurity.Configure"/> sets it.
    /// </summary>
    public CredentialStore? CredentialStore { get; set; }
}
