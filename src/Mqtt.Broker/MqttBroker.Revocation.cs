using Microsoft.Extensions.Logging;
using Mqtt.Codec;

namespace Mqtt.Broker;

public sealed partial class MqttBroker
{
    /// <summary>
    /// Takes a user's access away at once (SECURITY.md section 4): every live connection of the user is closed with
    /// DISCONNECT 0x98 Administrative action (its Will discarded), and every session the user owns, connected or
    /// not, is dropped with its subscriptions and queued messages.
    /// </summary>
    /// <param name="userName">The user.</param>
    /// <returns>How many connections were closed.</returns>
    public async Task<int> RevokeUserAsync(string userName)
    {
        ArgumentNullException.ThrowIfNull(userName);
        List<Session> dropped = [];
        lock (_sessionsGate)
        {
            foreach (Session session in _sessions.Values)
            {
                if (session.UserName == userName)
                {
                    dropped.Add(session);
                }
            }

            foreach (Session session in dropped)
            {
                _sessions.Remove(session.ClientId);
                session.PendingWill?.Cancel();
                session.PendingWill = null;
                // Its connection may be deciding its Will right after this lock: it must find none to delay.
                session.Connection?.MarkRevoked();
            }
        }

        List<MqttConnection> open = [];
        lock (_connections)
        {
            foreach (MqttConnection connection in _connections)
            {
                if (connection.Client.UserName == userName)
                {
                    open.Add(connection);
                }
            }
        }

        var closing = new List<Task>(open.Count);
        foreach (MqttConnection connection in open)
        {
            closing.Add(connection.RevokeAsync());
        }

        EndSessions(dropped);

        await Task.WhenAll(closing);
        Logger.LogInformation("revoked user {User}: {Connections} connection(s) closed, {Sessions} session(s) dropped",
            AuthAudit.Safe(userName), open.Count, dropped.Count);
        return open.Count;
    }

    private void OnUsersRemoved(IReadOnlyList<string> users)
    {
        foreach (string user in users)
        {
            _ = RevokeUserAsync(user);
        }
    }
}
