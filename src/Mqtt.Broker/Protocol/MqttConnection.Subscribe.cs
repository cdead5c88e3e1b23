using Mqtt.Codec;
using Microsoft.Extensions.Logging;

namespace Mqtt.Broker;

internal sealed partial class MqttConnection
{
    /// <summary>SUBSCRIBE: authorize each filter, add or replace it [MQTT-3.8.4-3], answer SUBACK, then send retained messages.</summary>
    private async ValueTask<bool> HandleSubscribeAsync(MqttFrame frame)
    {
        if (!SubscribePacket.TryRead(frame, Version, out SubscribePacket subscribe, out DecodeError error))
        {
            await FailAsync(error);
            return false;
        }
        int identifier = 0;
        foreach (int id in subscribe.Properties.SubscriptionIdentifiers)
        {
            identifier = id;
        }
        Session session = _session!;
        var requested = new List<Subscription>(subscribe.Subscriptions.Count);
        foreach (Subscription subscription in subscribe.Subscriptions)
        {
            requested.Add(subscription);
        }
        var codes = new byte[requested.Count];
        if (!FitsClient(new SubAckPacket { PacketId = subscribe.PacketId, ReasonCodes = new(codes) }))
        {
            // One reason code per filter: more filters than the client's Maximum Packet Size leaves room for in the
            // SUBACK [MQTT-3.1.2-24]. Refused before any is added.
            await CloseFromReadLoopAsync(ReasonCode.PacketTooLarge);
            return false;
        }
        var retained = new List<(SubscriptionEntry Entry, bool IsNew)>();
        Dictionary<string, (int First, int Last)>? repeats = requested.Count > 1 ? Occurrences(requested) : null;
        for (int i = 0; i < requested.Count; i++)
        {
            Subscription subscription = requested[i];
            string filter = subscription.TopicFilterString;
            if (repeats is not null && repeats[filter] is var (first, last) && first != last)
            {
                if (i != first)
                {
                    continue;
                }
                subscription = requested[last];
            }
            ReasonCode code;
            if (HasTooManyLevels(filter))
            {
                code = ReasonCode.TopicFilterInvalid;
            }
            else if (!await Options.Authorizer.CanSubscribeAsync(Client, filter))
            {
                code = ReasonCode.NotAuthorized;
            }
            else if (_closing)
            {
                // Taken over while the check ran: a session resumed by the new connection is not this one's to change.
                code = ReasonCode.UnspecifiedError;
            }
            else
            {
                var entry = new SubscriptionEntry(session, filter, subscription, identifier);
                code = _broker.AddSubscription(entry, out bool isNew);
                if (code < ReasonCode.UnspecifiedError && entry.ShareGroup is null)
                {
                    retained.Add((entry, isNew));
                }
            }
            codes[i] = (byte)code;
        }
        if (repeats is not null)
        {
            AnswerRepeatedFilters(requested, repeats, codes);
        }
        var subAck = new SubAckPacket { PacketId = subscribe.PacketId, ReasonCodes = new(codes) };
        EnqueueEncoded(subAck);
        foreach ((SubscriptionEntry entry, bool isNew) in retained)
        {
            SendRetained(entry, isNew);
        }
        return true;
    }

    /// <summary>
    /// Where each filter of a SUBSCRIBE first and last occurs. A filter repeated in one packet replaces itself
    /// [MQTT-3.8.4-3], so it is handled once, in the place of its first occurrence with the options of its last:
    /// thousands of copies in one packet cost one subscription, not thousands of replacements each sending the
    /// retained messages again.
    /// </summary>
    private static Dictionary<string, (int First, int Last)> Occurrences(List<Subscription> requested)
    {
        var occurrences = new Dictionary<string, (int First, int Last)>(requested.Count, StringComparer.Ordinal);
        for (int i = 0; i < requested.Count; i++)
        {
            string filter = requested[i].TopicFilterString;
            occurrences[filter] = occurrences.TryGetValue(filter, out var seen) ? (seen.First, i) : (i, i);
        }
        return occurrences;
    }

    /// <summary>Each occurrence of a repeated filter gets its own QoS when the filter was accepted, else the same failure.</summary>
    private static void AnswerRepeatedFilters(List<Subscription> requested, Dictionary<string, (int First, int Last)> repeats, byte[] codes)
    {
        for (int i = 0; i < requested.Count; i++)
        {
            byte outcome = codes[repeats[requested[i].TopicFilterString].First];
            codes[i] = outcome >= (byte)ReasonCode.UnspecifiedError ? outcome : (byte)requested[i].MaximumQoS;
        }
    }

    /// <summary>
    /// Retain Handling 0 sends retained messages, 1 only for a new subscription, 2 never (3.8.3.1). They join the
    /// session's <see cref="Backlog"/>, which goes out as the client takes it: a subscriber to `#` gets every one, and
    /// one that stops reading holds no more than a reference to each.
    /// </summary>
    private void SendRetained(SubscriptionEntry entry, bool isNew)
    {
        if (entry.RetainHandling == RetainHandling.DoNotSend || (entry.RetainHandling == RetainHandling.SendOnNewSubscription && !isNew))
        {
            return;
        }
        RetainedStore store = _broker.Retained;
        long version = store.Version; // before the snapshot: a topic retained anew while it is taken shows as a change
        List<ApplicationMessage> messages = store.Match(entry.TopicFilter, Environment.TickCount64);
        messages.RemoveAll(message => !Options.Authorizer.CanReceive(Client, message.Topic));
        if (messages.Count == 0)
        {
            return;
        }
        Backlog? toFeed = entry.Session.AddRetained(this, entry, messages, store, version, Options.MaximumRetainedMessages, out int dropped);
        _broker.Statistics.MessageDropped(dropped);
        if (toFeed is not null)
        {
            _ = FeedBacklogAsync(entry.Session, toFeed);
        }
    }

    /// <summary>Hands the session's backlog on whenever the client has taken enough of its output; one loop per backlog.</summary>
    private async Task FeedBacklogAsync(Session session, Backlog backlog)
    {
        try
        {
            BacklogWait wait;
            while (!_outbound.IsStopped && (wait = session.FeedBacklog(this, backlog)) != BacklogWait.None)
            {
                await (wait == BacklogWait.Output ? _outbound.WaitUntilWithinBoundAsync().AsTask() : session.RoomForARun(this));
            }
        }
        catch (Exception e)
        {
            // The backlog would hold the client's deliveries for good: the connection ends, and its session settles it.
            Logger.LogError(e, "sending retained messages to {Client} failed", AuthAudit.Safe(Client.ClientId));
            _ = CloseAsync(ReasonCode.UnspecifiedError);
        }
    }

    private bool HandleUnsubscribe(in MqttFrame frame)
    {
        if (!Check(UnsubscribePacket.TryRead(frame, Version, out UnsubscribePacket unsubscribe, out DecodeError error), error))
        {
            return false;
        }
        Session session = _session!;
        var codes = new byte[unsubscribe.TopicFilters.Count];
        int i = 0;
        foreach (System.Buffers.ReadOnlySequence<byte> bytes in unsubscribe.TopicFilters)
        {
            string filter = MqttUtf8.GetString(bytes);
            bool removed;
            lock (session.Gate)
            {
                removed = session.Subscriptions.Remove(filter, out SubscriptionEntry? entry);
                if (entry is not null)
                {
                    entry.Unsubscribed = true;
                    _broker.Subscriptions.Remove(entry);
                    session.FilterCharacters -= filter.Length;
                }
            }
            codes[i++] = (byte)(removed ? ReasonCode.Success : ReasonCode.NoSubscriptionExisted);
        }
        var unsubAck = new UnsubAckPacket { PacketId = unsubscribe.PacketId, ReasonCodes = new(codes) };
        if (!FitsClient(unsubAck))
        {
            _ = CloseFromReadLoopAsync(ReasonCode.PacketTooLarge);
            return false;
        }
        return EnqueueEncoded(unsubAck);
    }
}
