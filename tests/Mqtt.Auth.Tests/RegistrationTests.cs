using System.Net;
using System.Text;
using Mqtt.Broker;
using Mqtt.Codec;
using Mqtt.Security.Credentials;
using Mqtt.Security.Scram;
using MQTTnet;

namespace Mqtt.Auth.Tests;

/// <summary>Registration: its own explicit exchange, verifiers not passwords, one winner per name.</summary>
public sealed class RegistrationTests
{
    private static readonly ScramVerifier[] SharedVerifiers =
        [ScramVerifier.Derive(ScramMechanism.Sha256, "pw-shared"), ScramVerifier.Derive(ScramMechanism.Sha512, "pw-shared")];

    [Fact]
    public async Task A_client_registers_with_verifiers_it_derived_and_then_logs_in_with_SCRAM()
    {
        await using TestBroker broker = await TestBroker.StartAsync();
        byte[] data = ScramRegistration.Encode(UserCredentials.Derive("carol", "pw-carol"));
        Assert.DoesNotContain("pw-carol", Encoding.Latin1.GetString(data), StringComparison.Ordinal);

        Received answer = await RegisterAsync(broker, data);

        Assert.Equal((PacketType.ConnAck, ReasonCode.Success), (answer.Type, answer.ReasonCode));
        Assert.Equal(ScramRegistration.Method, answer.AuthenticationMethod);
        using IMqttClient carol = new MqttClientFactory().CreateMqttClient();
        var scram = new RfcScram("SCRAM-SHA-512", "carol", "pw-carol");
        Assert.Equal(MqttClientConnectResultCode.Success, (await MqttNet.ConnectAsync(carol, MqttNet.Options(broker.EndPoint, "carol-1").WithScram(scram).Build())).Code);
        Assert.DoesNotContain("pw-carol", await File.ReadAllTextAsync(broker.Security.Credentials.FilePath), StringComparison.Ordinal);
        Assert.Contains(broker.Log.Lines, l => l.Contains("audit register success", StringComparison.Ordinal) && l.Contains("\"carol\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Registering_a_taken_name_is_refused_with_0x86_and_changes_nothing()
    {
        await using TestBroker broker = await TestBroker.StartAsync();
        await broker.AddUserAsync("alice", "pw-alice");
        byte[] before = await File.ReadAllBytesAsync(broker.Security.Credentials.FilePath);

        Received answer = await RegisterAsync(broker, ScramRegistration.Encode(new UserCredentials("alice", SharedVerifiers)));

        Assert.Equal((PacketType.ConnAck, ReasonCode.BadUserNameOrPassword), (answer.Type, answer.ReasonCode));
        Assert.Equal(before, await File.ReadAllBytesAsync(broker.Security.Credentials.FilePath));
        Assert.Equal(ReasonCode.Success, (await Scram.AttemptAsync(broker, "alice", "pw-alice")).End.ReasonCode);
    }

    [Fact]
    public async Task Concurrent_registrations_of_one_name_have_exactly_one_winner()
    {
        // Sixteen in flight from one address are more than its registration limit (10) lets through at once.
        await using TestBroker broker = await TestBroker.StartAsync(security: o => o.Throttle.RegistrationsPerAddress = 0);
        Task<Received>[] attempts = [.. Enumerable.Range(0, 16).Select(i => Task.Run(() =>
            RegisterAsync(broker, ScramRegistration.Encode(new UserCredentials("dave", [ScramVerifier.Derive(ScramMechanism.Sha256, "pw-" + i)]))))),];
        Received[] answers = await Task.WhenAll(attempts).WaitAsync(TimeSpan.FromSeconds(60));

        int winner = Array.FindIndex(answers, a => a.ReasonCode == ReasonCode.Success);
        Assert.Single(answers, a => a.ReasonCode == ReasonCode.Success);
        Assert.All(answers, a => Assert.Contains(a.ReasonCode, new[] { ReasonCode.Success, ReasonCode.BadUserNameOrPassword }));
        Assert.Single(File.ReadAllLines(broker.Security.Credentials.FilePath), l => l.StartsWith("dave:", StringComparison.Ordinal));
        Assert.Equal(ReasonCode.Success, (await Scram.AttemptAsync(broker, "dave", "pw-" + winner)).End.ReasonCode);
    }

    [Fact]
    public async Task Registration_is_refused_with_0x87_when_closed()
    {
        await using TestBroker broker = await TestBroker.StartAsync(security: o => o.Registration = RegistrationPolicy.Closed);
        Received answer = await RegisterAsync(broker, ScramRegistration.Encode(new UserCredentials("erin", SharedVerifiers)));
        Assert.Equal((PacketType.ConnAck, ReasonCode.NotAuthorized), (answer.Type, answer.ReasonCode));
        Assert.Equal(0, broker.Security.Credentials.Count);
    }

    /// <summary>Before the limit, open registration let anyone grow the credential file without bound.</summary>
    [Fact]
    public async Task Registration_stops_with_0x97_at_the_user_limit_and_admin_adds_are_not_limited()
    {
        await using TestBroker broker = await TestBroker.StartAsync(security: o => o.MaximumRegisteredUsers = 2);
        foreach (string name in new[] { "user1", "user2" })
        {
            Received accepted = await RegisterAsync(broker, ScramRegistration.Encode(new UserCredentials(name, SharedVerifiers)));
            Assert.Equal((PacketType.ConnAck, ReasonCode.Success), (accepted.Type, accepted.ReasonCode));
        }

        Received refused = await RegisterAsync(broker, ScramRegistration.Encode(new UserCredentials("user3", SharedVerifiers)));

        Assert.Equal((PacketType.ConnAck, ReasonCode.QuotaExceeded), (refused.Type, refused.ReasonCode));
        Assert.Equal(2, broker.Security.Credentials.Count);
        Assert.True(await broker.Security.Credentials.TryAddAsync(new UserCredentials("admin-added", SharedVerifiers)));
    }

    [Fact]
    public async Task One_address_may_register_only_a_few_users_in_a_row_then_gets_0x9F()
    {
        await using TestBroker broker = await TestBroker.StartAsync(security: o => o.Throttle.RegistrationsPerAddress = 3);
        foreach (string name in new[] { "user1", "user2", "user3" })
        {
            Received accepted = await RegisterAsync(broker, ScramRegistration.Encode(new UserCredentials(name, SharedVerifiers)));
            Assert.Equal((PacketType.ConnAck, ReasonCode.Success), (accepted.Type, accepted.ReasonCode));
        }

        Received refused = await RegisterAsync(broker, ScramRegistration.Encode(new UserCredentials("user4", SharedVerifiers)));

        Assert.Equal((PacketType.ConnAck, ReasonCode.ConnectionRateExceeded), (refused.Type, refused.ReasonCode));
        Assert.Equal(3, broker.Security.Credentials.Count);
        // Logging in is not registering: the users made stay usable from that address.
        Assert.Equal(ReasonCode.Success, (await Scram.AttemptAsync(broker, "user1", "pw-shared")).End.ReasonCode);
    }

    /// <summary>
    /// A plain registration from an address past its registrations, or past the user limit, is refused before the broker
    /// derives the password's verifiers (two PBKDF2 runs, milliseconds each: a client flooding such refusals kept both
    /// cores busy). The broker's iteration count here would make a derivation last hours: only an early refusal answers.
    /// </summary>
    [Theory]
    [InlineData(1, 0, MqttClientConnectResultCode.ConnectionRateExceeded)]
    [InlineData(0, 1, MqttClientConnectResultCode.QuotaExceeded)]
    public async Task A_plain_registration_past_a_registration_limit_is_refused_without_the_password_being_derived(
        int registrationsPerAddress, int maximumUsers, MqttClientConnectResultCode expected)
    {
        await using TestBroker broker = await TestBroker.StartAsync(security: o =>
        {
            (o.Throttle.RegistrationsPerAddress, o.MaximumRegisteredUsers) = (registrationsPerAddress, maximumUsers);
            o.IterationCount = int.MaxValue;
        });
        Received first = await RegisterAsync(broker, ScramRegistration.Encode(new UserCredentials("kim", SharedVerifiers)));
        Assert.Equal((PacketType.ConnAck, ReasonCode.Success), (first.Type, first.ReasonCode));

        using IMqttClient plain = new MqttClientFactory().CreateMqttClient();
        (MqttClientConnectResultCode answer, _) = await MqttNet.ConnectAsync(plain, MqttNet.Options(broker.EndPoint, "l")
            .WithCredentials("lee", "pw").WithUserProperty("register", "true"u8.ToArray().AsMemory()).Build());

        Assert.Equal(expected, answer);
        Assert.Equal(1, broker.Security.Credentials.Count);
    }

    /// <summary>
    /// The limits used to be checked before the awaited add and counted after it, so registrations in flight
    /// together all passed: 200 parallel CONNECTs from one address made 200 users.
    /// </summary>
    [Fact]
    public async Task Concurrent_registrations_from_one_address_stop_at_the_per_address_limit()
    {
        (ReasonCode[] answers, int users) = await RegisterConcurrentlyAsync(o => o.Throttle.RegistrationsPerAddress = 3, _ => IPAddress.Parse("192.0.2.1"));

        Assert.Equal(3, answers.Count(c => c == ReasonCode.Success));
        Assert.Equal(47, answers.Count(c => c == ReasonCode.ConnectionRateExceeded));
        Assert.Equal(3, users);
    }

    [Fact]
    public async Task Concurrent_registrations_stop_at_the_user_limit()
    {
        (ReasonCode[] answers, int users) = await RegisterConcurrentlyAsync(
            o => (o.MaximumRegisteredUsers, o.Throttle.RegistrationsPerAddress) = (5, 0), i => new IPAddress([192, 0, 2, (byte)(i + 1)]));

        Assert.Equal(5, answers.Count(c => c == ReasonCode.Success));
        Assert.Equal(45, answers.Count(c => c == ReasonCode.QuotaExceeded));
        Assert.Equal(5, users);
    }

    [Fact]
    public async Task A_registration_refused_for_a_taken_name_does_not_count_against_the_address()
    {
        using var folder = new TempDataFolder();
        using BrokerSecurity security = BrokerSecurity.Configure(new BrokerOptions(), new BrokerSecurityOptions { DataDirectory = folder.Path, Throttle = { RegistrationsPerAddress = 2 } });
        Assert.True(await security.Credentials.TryAddAsync(new UserCredentials("taken", SharedVerifiers)));
        var client = new ClientInfo("reg", null, new IPEndPoint(IPAddress.Parse("192.0.2.1"), 50000), IsTls: false);
        Task<ReasonCode> Register(string name) => StoreAsync(security, name, client);

        Assert.Equal(ReasonCode.BadUserNameOrPassword, await Register("taken"));
        Assert.Equal(ReasonCode.Success, await Register("user1"));
        Assert.Equal(ReasonCode.Success, await Register("user2"));
        Assert.Equal(ReasonCode.ConnectionRateExceeded, await Register("user3"));
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("$admin")]
    [InlineData("+")]
    [InlineData("")]
    public async Task Invalid_names_are_refused_with_0x86(string name)
    {
        await using TestBroker broker = await TestBroker.StartAsync();
        byte[] valid = ScramRegistration.Encode(new UserCredentials("x", SharedVerifiers));
        byte[] nameBytes = Encoding.UTF8.GetBytes(name);
        byte[] forged = [1, (byte)(nameBytes.Length >> 8), (byte)nameBytes.Length, .. nameBytes, .. valid.AsSpan(4)];

        Received answer = await RegisterAsync(broker, forged);

        Assert.Equal((PacketType.ConnAck, ReasonCode.BadUserNameOrPassword), (answer.Type, answer.ReasonCode));
        Assert.Equal(0, broker.Security.Credentials.Count);
    }

    /// <summary>Names that may stay in the credential file but that no new user may take (docs/security.md).</summary>
    [Theory]
    [InlineData("%c")]
    [InlineData("50%")]
    [InlineData("alice\u200B")]
    [InlineData("a\u202Eb")]
    [InlineData(" alice")]
    [InlineData("alice ")]
    public async Task Names_new_users_may_not_take_are_refused_by_both_ways_of_registering_with_0x86(string name)
    {
        await using TestBroker broker = await TestBroker.StartAsync();
        Received answer = await RegisterAsync(broker, ScramRegistration.Encode(new UserCredentials(name, SharedVerifiers)));
        using IMqttClient plain = new MqttClientFactory().CreateMqttClient();
        MqttClientConnectResultCode plainAnswer = (await MqttNet.ConnectAsync(plain, MqttNet.Options(broker.EndPoint, "p")
            .WithCredentials(name, "pw").WithUserProperty("register", "true"u8.ToArray().AsMemory()).Build())).Code;

        Assert.Equal((PacketType.ConnAck, ReasonCode.BadUserNameOrPassword), (answer.Type, answer.ReasonCode));
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, plainAnswer);
        Assert.Equal(0, broker.Security.Credentials.Count);
    }

    [Fact]
    public async Task A_failed_login_never_creates_an_account()
    {
        await using TestBroker broker = await TestBroker.StartAsync();
        Assert.Equal(ReasonCode.BadUserNameOrPassword, (await Scram.AttemptAsync(broker, "frank", "pw-frank")).End.ReasonCode);
        using IMqttClient plain = new MqttClientFactory().CreateMqttClient();
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword,
            (await MqttNet.ConnectAsync(plain, MqttNet.Options(broker.EndPoint, "f").WithCredentials("frank", "pw-frank").Build())).Code);
        Assert.Equal(0, broker.Security.Credentials.Count);
    }

    [Fact]
    public async Task A_third_party_client_registers_with_CONNECT_user_password_and_the_register_user_property()
    {
        await using TestBroker broker = await TestBroker.StartAsync();
        using IMqttClient client = new MqttClientFactory().CreateMqttClient();
        MqttClientOptions register = MqttNet.Options(broker.EndPoint, "g1").WithCredentials("grace", "pw-grace")
            .WithUserProperty("register", "true"u8.ToArray().AsMemory()).Build();

        Assert.Equal(MqttClientConnectResultCode.Success, (await MqttNet.ConnectAsync(client, register)).Code);
        await client.DisconnectAsync();
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, (await MqttNet.ConnectAsync(client, register)).Code);
        Assert.Equal(ReasonCode.Success, (await Scram.AttemptAsync(broker, "grace", "pw-grace")).End.ReasonCode);
    }

    [Theory]
    [InlineData(PlainPasswordPolicy.Tls)]
    [InlineData(PlainPasswordPolicy.Never)]
    public async Task Plain_passwords_and_plain_registration_are_refused_with_0x87_where_the_policy_forbids_them(PlainPasswordPolicy policy)
    {
        await using TestBroker broker = await TestBroker.StartAsync(security: o => o.PlainPasswords = policy);
        await broker.AddUserAsync("alice", "pw-alice");
        using IMqttClient client = new MqttClientFactory().CreateMqttClient();

        Assert.Equal(MqttClientConnectResultCode.NotAuthorized,
            (await MqttNet.ConnectAsync(client, MqttNet.Options(broker.EndPoint, "a").WithCredentials("alice", "pw-alice").Build())).Code);
        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, (await MqttNet.ConnectAsync(client, MqttNet.Options(broker.EndPoint, "h")
            .WithCredentials("heidi", "pw").WithUserProperty("register", "true"u8.ToArray().AsMemory()).Build())).Code);
        Assert.Equal(ReasonCode.Success, (await Scram.AttemptAsync(broker, "alice", "pw-alice")).End.ReasonCode);
    }

    /// <summary>A credential file the broker cannot add to (here: not UTF-8) answers 0x88 Server unavailable, both ways of registering.</summary>
    [Fact]
    public async Task Registration_answers_0x88_when_the_credential_file_cannot_be_written()
    {
        await using TestBroker broker = await TestBroker.StartAsync();
        // Damaged while the broker runs (a broker does not start on such a file).
        byte[] unreadable = [.. "# users\n"u8, 0xC3, 0x28, (byte)'\n'];
        await File.WriteAllBytesAsync(broker.Security.Credentials.FilePath, unreadable);
        broker.Security.Credentials.Refresh();

        Received answer = await RegisterAsync(broker, ScramRegistration.Encode(new UserCredentials("ivan", SharedVerifiers)));
        using IMqttClient client = new MqttClientFactory().CreateMqttClient();
        (MqttClientConnectResultCode plain, _) = await MqttNet.ConnectAsync(client, MqttNet.Options(broker.EndPoint, "j")
            .WithCredentials("judy", "pw").WithUserProperty("register", "true"u8.ToArray().AsMemory()).Build());

        Assert.Equal((PacketType.ConnAck, ReasonCode.ServerUnavailable), (answer.Type, answer.ReasonCode));
        Assert.Equal(MqttClientConnectResultCode.ServerUnavailable, plain);
        Assert.Equal(unreadable, await File.ReadAllBytesAsync(broker.Security.Credentials.FilePath));
        Assert.Equal(2, broker.Log.Lines.Count(l => l.Contains("credential file could not be written", StringComparison.Ordinal)));
    }

    /// <summary>
    /// Fifty registrations with distinct names, all checked against the limits before any is stored: the test holds
    /// the credential file's lock meanwhile, and each call takes its limits before its first await (the add).
    /// </summary>
    private static async Task<(ReasonCode[] Answers, int Users)> RegisterConcurrentlyAsync(Action<BrokerSecurityOptions> configure, Func<int, IPAddress> address)
    {
        using var folder = new TempDataFolder();
        var options = new BrokerSecurityOptions { DataDirectory = folder.Path };
        configure(options);
        using BrokerSecurity security = BrokerSecurity.Configure(new BrokerOptions(), options);
        var registrations = new List<Task<ReasonCode>>();
        using (new FileStream(Path.Combine(folder.Path, CredentialStore.LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            for (int i = 0; i < 50; i++)
            {
                registrations.Add(StoreAsync(security, "user" + i, new ClientInfo("reg-" + i, null, new IPEndPoint(address(i), 50000 + i), IsTls: false)));
            }
        }

        ReasonCode[] answers = await Task.WhenAll(registrations).WaitAsync(TimeSpan.FromSeconds(60));
        return (answers, security.Credentials.Count);
    }

    private static async Task<ReasonCode> StoreAsync(BrokerSecurity security, string name, ClientInfo client) =>
        (await security.StoreNewUserAsync(new UserCredentials(name, SharedVerifiers), client, ScramRegistration.Method, CancellationToken.None)).ReasonCode;

    /// <summary>
    /// The CONNECT timeout refuses a registration that waits for the credential file (a `mqttcore user` command holds
    /// its lock): the account must not be created after all. It was, once the lock came free, so the client had been
    /// told 0x87 and its retry got 0x86 "name taken" (found by review).
    /// </summary>
    [Fact]
    public async Task A_registration_the_connect_timeout_refused_creates_no_account()
    {
        await using TestBroker broker = await TestBroker.StartAsync(broker: o => o.ConnectTimeout = TimeSpan.FromSeconds(1));
        Received answer;
        await using (new FileStream(Path.Combine(broker.DataDirectory, "credentials.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            answer = await RegisterAsync(broker, ScramRegistration.Encode(UserCredentials.Derive("late", "pw-late")));
        }

        Assert.Equal((PacketType.ConnAck, ReasonCode.NotAuthorized), (answer.Type, answer.ReasonCode));
        // This add waits for the registration's hold on the store to end, whatever it did.
        Assert.True(await broker.Security.Credentials.TryAddAsync(UserCredentials.Derive("after", "pw-after")));
        Assert.False(broker.Security.Credentials.TryGet("late", out _), "refused with 0x87, yet the account exists");
        Received retry = await RegisterAsync(broker, ScramRegistration.Encode(UserCredentials.Derive("late", "pw-late")));
        Assert.Equal((PacketType.ConnAck, ReasonCode.Success), (retry.Type, retry.ReasonCode));
    }

    internal static async Task<Received> RegisterAsync(TestBroker broker, byte[] data)
    {
        await using RawMqttClient client = await RawMqttClient.OpenAsync(broker.EndPoint);
        await client.SendConnectAsync("reg-" + Guid.NewGuid().ToString("N")[..8], method: ScramRegistration.Method, data: data);
        return await client.ReceiveAsync();
    }
}
