namespace Mqtt.Broker.Tests;

/// <summary>The connection's receive buffer: it grows with the bytes that arrive, never to what a header only claims.</summary>
public sealed class ReceiveBufferTests
{
    [Fact]
    public void A_header_claiming_a_large_packet_gets_room_for_what_arrives_not_for_the_claim()
    {
        var buffer = new ReceiveBuffer();
        // PUBLISH with Remaining Length 1,048,000 (0xC0 0xFB 0x3F), then the first 4 KiB of its body.
        Fill(ref buffer, [0x30, 0xC0, 0xFB, 0x3F], 4096);
        Assert.InRange(buffer.GetFreeSpace().Length + buffer.End, 4100, 16 * 1024);
        buffer.Release();
    }

    [Fact]
    public void A_large_packet_that_arrives_in_pieces_ends_up_whole_at_the_front()
    {
        var buffer = new ReceiveBuffer();
        const int Body = 100_000;
        byte[] packet = [0x30, 0xA0, 0x8D, 0x06, .. Enumerable.Range(0, Body).Select(i => (byte)i)];
        int sent = 0;
        for (int i = 0; i < 1000 && sent < packet.Length; i++)
        {
            Memory<byte> free = buffer.GetFreeSpace();
            int count = Math.Min(free.Length, Math.Min(packet.Length - sent, 3000));
            packet.AsSpan(sent, count).CopyTo(free.Span);
            buffer.Received(count);
            sent += count;
        }
        Assert.Equal(packet, buffer.Data.ToArray());
        buffer.Release();
    }

    private static void Fill(ref ReceiveBuffer buffer, byte[] header, int total)
    {
        Memory<byte> free = buffer.GetFreeSpace();
        header.CopyTo(free.Span);
        buffer.Received(Math.Min(total, free.Length));
    }
}
