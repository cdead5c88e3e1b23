using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Mqtt.Codec;

namespace Mqtt.Broker;

public sealed partial class MqttBroker
{
    [ThreadStatic]
    private static List<SubscriptionEntry>? t_matches;

    /// <summary>By session, and within one session its non-shared subscriptions first.</summary>
    private static readonly Comparison<SubscriptionEntry> BySessionPlainFirst = static (a, b) =>
    {
        int bySession = a.Session.Id.CompareTo(b.Session.Id);
        return bySession != 0 ? bySession : (a.ShareGroup is null ? 0 : 1) - (b.ShareGroup is null ? 0 : 1);
    };

    /// <summary>
    /// Sends a message to every matching subscription. A session's non-shared matches get one copy between them;
    /// each Shared Subscription that chose the session gets its own copy (4.8.2). Sessions whose queue the message
    /// found full go into <paramref name="full"/>, for the publisher to wait on; without it, it is dropped for them.
    /// Returns the number of copies for subscribers allowed to read it, dropped ones included: a publisher told 0x10
    /// No matching subscribers takes it that nobody listens.
    /// </summary>
    internal int Route(ApplicationMessage message, List<Session>? full = null)
    {
        List<SubscriptionEntry> matches = t_matches ??= [];
        matches.Clear();
        Subscriptions.Match(message.Topic, Options.Authorizer, matches);
        if (matches.Count > 1)
        {
            matches.Sort(BySessionPlainFirst);
        }
        int subscribers = 0;
        for (int start = 0; start < matches.Count;)
        {
            int end = start + 1;
            if (matches[start].ShareGroup is null)
            {
                while (end < matches.Count && matches[end].Session == matches[start].Session && matches[end].ShareGroup is null)
                {
                    end++;
                }
            }
            if (DeliverToSession(message, matches, start, end, full))
            {
                subscribers++;
            }
            start = end;
        }
        matches.Clear();
        return subscribers;
    }

    /// <summary>
    /// Delivers once to a session whose subscriptions matches[start..end) matched: at the highest of their
    /// QoS [MQTT-3.3.4-2], with all their Subscription Identifiers [MQTT-3.3.4-3], skipping No Local ones [MQTT-3.8.3-3].
    /// False when the session is no subscriber of it after all (No Local, not allowed to read it, unsubscribed meanwhile).
    /// </summary>
    private bool DeliverToSession(ApplicationMessage message, List<SubscriptionEntry> matches, int start, int end, List<Session>? full)
    {
        Session session = matches[start].Session;
        QualityOfService qos = QualityOfService.AtMostOnce;
        bool retainAsPublished = false;
        bool any = false;
        int identifiers = 0;
        SubscriptionEntry? withIdentifier = null;
        for (int i = start; i < end; i++)
        {
            SubscriptionEntry entry = matches[i];
            if (IsOwnForNoLocal(entry, message))
            {
                continue;
            }
            any = true;
            qos = (QualityOfService)Math.Max((int)qos, (int)entry.MaximumQoS);
            retainAsPublished |= entry.RetainAsPublished;
            if (entry.SubscriptionIdentifier != 0)
            {
                identifiers++;
                withIdentifier = entry;
            }
        }
        // A Shared Subscription member (alone in its range) was picked among those that may read the topic (SharedGroup).
        bool picked = matches[start].ShareGroup is not null;
        if (!any || (!picked && !Options.Authorizer.CanReceive(session.Client, message.Topic)))
        {
            return false;
        }
        qos = (QualityOfService)Math.Min((int)qos, (int)message.QoS);
        SubscriptionIdentifiers ids = identifiers switch
        {
            0 => default,
            1 => withIdentifier!.EncodedIdentifier,
            _ => CollectIdentifiers(message, matches, start, end),
        };
        // [MQTT-3.3.1-12] a forwarded message keeps RETAIN only for Retain As Published subscriptions.
        var delivery = new Delivery(message, qos, retainAsPublished && message.Packet.Retain, ids) { SharedThrough = picked ? matches[start] : null };
        // A client waiting for its own queue would never read the acknowledgements that empty it.
        bool canWait = full is not null && session.ClientId != message.PublisherClientId;
        // A Shared Subscription's message is the group's: delivered even if its member has just left, not lost.
        ReadOnlySpan<SubscriptionEntry> matched = picked ? default : CollectionsMarshal.AsSpan(matches)[start..end];
        switch (session.Deliver(delivery, canWait ? QueueFull.HoldPublisher : QueueFull.Drop, matched))
        {
            case DeliveryOutcome.Dropped:
                Statistics.MessageDropped();
                break;
            case DeliveryOutcome.Unsubscribed:
                return false;
            case DeliveryOutcome.MemberEnded:
                Redistribute(delivery);
                break;
            case DeliveryOutcome.AcceptedOverLimit:
                full!.Add(session);
                break;
        }
        return true;
    }

    /// <summary>
    /// Gives a Shared Subscription's QoS 1/2 message that a member's ended session had not finished to another member of
    /// its group, picked as a publish picks one, with that member's subscription options (4.8.2). Dropped, and counted so,
    /// when no member left may read it; an expired one is forgotten, as an expired queued message is.
    /// </summary>
    private void Redistribute(Delivery unfinished)
    {
        ApplicationMessage message = unfinished.Message;
        if (message.IsExpired(Environment.TickCount64))
        {
            return;
        }
        var shares = new ShareChoice(message.Topic, Options.Authorizer);
        while (Subscriptions.NextShareMember(unfinished.SharedThrough!, shares) is SubscriptionEntry member)
        {
            var qos = (QualityOfService)Math.Min((int)message.QoS, (int)member.MaximumQoS);
            var delivery = new Delivery(message, qos, member.RetainAsPublished && message.Packet.Retain, member.EncodedIdentifier)
            {
                SharedThrough = member,
            };
            // Moved from one queue to another, not added: nobody is held for it, and a full queue takes it too.
            switch (member.Session.Deliver(delivery, QueueFull.Exceed))
            {
                case DeliveryOutcome.MemberEnded:
                    // That session ended too since it was picked, and its subscriptions have left the group: pick again.
                    continue;
                case DeliveryOutcome.Dropped:
                    Statistics.MessageDropped();
                    break;
            }
            return;
        }
        Statistics.MessageDropped();
    }

    private static SubscriptionIdentifiers CollectIdentifiers(ApplicationMessage message, List<SubscriptionEntry> matches, int start, int end)
    {
        // [MQTT-3.3.4-3] every one of them, however many overlap: the stack holds the usual few.
        Span<int> ids = end - start <= 64 ? stackalloc int[end - start] : new int[end - start];
        int n = 0;
        for (int i = start; i < end; i++)
        {
            SubscriptionEntry entry = matches[i];
            // Not those of No Local subscriptions, which this copy is not for [MQTT-3.8.3-3]. Each once: the filters of one
            // SUBSCRIBE share its identifier, and a/# and a/+ of one packet would list it twice.
            if (entry.SubscriptionIdentifier != 0 && !IsOwnForNoLocal(entry, message) && !ids[..n].Contains(entry.SubscriptionIdentifier))
            {
                ids[n++] = entry.SubscriptionIdentifier;
            }
        }
        return SubscriptionIdentifiers.Create(ids[..n]);
    }

    private static bool IsOwnForNoLocal(SubscriptionEntry entry, ApplicationMessage message) =>
        entry.NoLocal && entry.Session.ClientId == message.PublisherClientId;

    /// <summary>Publishes a client's Will, its Message Expiry counting from now.</summary>
    internal void PublishWill(ApplicationMessage will) => PublishInternal(will.PublishedAt(Environment.TickCount64));

    /// <summary>
    /// Publishes a message the broker makes itself: a $SYS topic, a Will (<see cref="PublishWill"/>). One the retained
    /// store has no room for is still routed: nobody is left to refuse it to, and its subscribers still want it.
    /// </summary>
    internal void PublishInternal(ApplicationMessage message)
    {
        if (message.Packet.Retain && !Retained.TrySet(message))
        {
            RetainedStoreFull(message);
        }
        Route(message);
    }

    /// <summary>Logs a retained message the store had no room for, at most once a minute (a flood must not flood the log).</summary>
    internal void RetainedStoreFull(ApplicationMessage message)
    {
        if (_retainedFullLog.TryTake())
        {
            Logger.LogWarning("the retained store is full ({Count} messages, {Bytes} bytes; --max-retained-messages, --max-retained-bytes): "
                + "not retaining {Topic} from {Client} (further ones are not logged for a minute)",
                Retained.ClientUsage.Messages, Retained.ClientUsage.Bytes, AuthAudit.Safe(message.Topic), AuthAudit.Safe(message.PublisherClientId));
        }
    }

    /// <summary>Logs a large CONNECT or AUTH refused for want of <see cref="BrokerOptions.MaximumConnectingBytes"/>, at most once a minute.</summary>
    internal void ConnectingBytesFull(ClientInfo client, long size)
    {
        if (_connectingFullLog.TryTake())
        {
            Logger.LogWarning("refusing a {Size}-byte packet from {Remote} before CONNACK with 0x89 (3.1.1: return code 3): {Reserved} bytes are already held for "
                + "large packets of clients not yet accepted (--max-connecting-bytes; further ones are not logged for a minute)",
                size, client.RemoteEndPoint, Connecting.Reserved);
        }
    }
}
