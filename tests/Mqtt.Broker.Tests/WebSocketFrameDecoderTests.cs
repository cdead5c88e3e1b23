using System.Text;
using CsCheck;

namespace Mqtt.Broker.Tests;

/// <summary>
/// The broker's WebSocket frame decoder and masking on their own: whatever way the bytes are split into receives, the
/// MQTT bytes that come out are the binary payloads in order, and control frames are answered or end the stream.
/// </summary>
public sealed class WebSocketFrameDecoderTests
{
    /// <summary>A binary message cut into 1-3 fragments, with a ping among them or not.</summary>
    private static readonly Gen<(byte[] Payload, byte[] Wire)> Message =
        Gen.Select(Gen.Byte.Array[0, 400], Gen.Int[1, 3], Gen.Bool, Gen.Byte.Array[4], (payload, parts, ping, key) =>
        {
            var wire = new List<byte>();
            int size = (payload.Length + parts - 1) / Math.Max(parts, 1);
            for (int part = 0, at = 0; part < parts; part++, at += size)
            {
                byte[] piece = payload.Skip(at).Take(part == parts - 1 ? int.MaxValue : size).ToArray();
                wire.AddRange(ClientFrames.Frame(part == parts - 1, part == 0 ? WebSocketOpcode.Binary : WebSocketOpcode.Continuation, piece, key));
                if (ping && part == 0)
                {
                    wire.AddRange(ClientFrames.Frame(true, WebSocketOpcode.Ping, [1, 2, 3], key));
                }
            }
            return (payload, wire.ToArray());
        });

    [Fact]
    public void MQTT_6_0_0_2_the_payloads_come_out_in_order_however_the_frames_are_split_into_receives()
    {
        Gen.Select(Message.Array[1, 5], Gen.Int[1, 64]).Sample((messages, chunk) =>
        {
            byte[] expected = [.. messages.SelectMany(m => m.Payload)];
            byte[] wire = [.. messages.SelectMany(m => m.Wire)];
            var decoder = new WebSocketFrameDecoder();
            var output = new List<byte>();
            for (int at = 0; at < wire.Length; at += chunk)
            {
                byte[] received = wire[at..Math.Min(at + chunk, wire.Length)];
                int decoded = decoder.Decode(received);
                output.AddRange(received.Take(decoded));
            }
            Assert.Equal(expected, output.ToArray());
            Assert.False(decoder.CloseReceived);
        }, iter: 2000);
    }

    [Fact]
    public void A_ping_is_answered_with_a_pong_carrying_its_payload()
    {
        var decoder = new WebSocketFrameDecoder();
        Assert.Equal(0, decoder.Decode(ClientFrames.Frame(true, WebSocketOpcode.Ping, "hello"u8.ToArray(), [7, 7, 7, 7])));
        Assert.True(decoder.PongWaiting);
        Assert.Equal([0x8A, 5, .. "hello"u8.ToArray()], decoder.TakePong());
        Assert.Null(decoder.TakePong());
    }

    [Fact]
    public void Pings_while_a_pong_waits_ask_for_no_further_flush_and_the_latest_is_answered()
    {
        var decoder = new WebSocketFrameDecoder();
        byte[] Ping(string text) => ClientFrames.Frame(true, WebSocketOpcode.Ping, Encoding.ASCII.GetBytes(text), [1, 2, 3, 4]);
        decoder.Decode(Ping("1"));
        Assert.True(decoder.TakePongNowWaiting());
        Assert.False(decoder.TakePongNowWaiting());
        for (int i = 2; i <= 1000; i++)
        {
            decoder.Decode(Ping($"{i}"));
            Assert.False(decoder.TakePongNowWaiting());
        }
        Assert.Equal([0x8A, 4, .. "1000"u8.ToArray()], decoder.TakePong());
        decoder.Decode(Ping("again"));
        Assert.True(decoder.TakePongNowWaiting());
    }

    [Fact]
    public void A_close_frame_ends_the_stream_and_nothing_after_it_is_read()
    {
        var decoder = new WebSocketFrameDecoder();
        byte[] wire = [.. ClientFrames.Frame(true, WebSocketOpcode.Close, [0x03, 0xE8], [1, 2, 3, 4]), .. ClientFrames.Frame(true, WebSocketOpcode.Binary, [9, 9], [1, 2, 3, 4])];
        Assert.Equal(0, decoder.Decode(wire));
        Assert.True(decoder.CloseReceived);
    }

    public static TheoryData<string, byte[]> ProtocolErrors() => new()
    {
        { "unmasked", [0x82, 0x02, 0x30, 0x00] },
        { "reserved bit", [0xC2, 0x80, 1, 2, 3, 4] },
        { "unknown opcode", ClientFrames.Frame(true, (WebSocketOpcode)0x3, [], [1, 2, 3, 4]) },
        { "continuation first", ClientFrames.Frame(true, WebSocketOpcode.Continuation, [1], [1, 2, 3, 4]) },
        { "binary inside a fragmented message", [.. ClientFrames.Frame(false, WebSocketOpcode.Binary, [1], [1, 2, 3, 4]), .. ClientFrames.Frame(true, WebSocketOpcode.Binary, [1], [1, 2, 3, 4])] },
        { "fragmented ping", ClientFrames.Frame(false, WebSocketOpcode.Ping, [1], [1, 2, 3, 4]) },
        { "ping over 125 bytes", ClientFrames.Frame(true, WebSocketOpcode.Ping, new byte[126], [1, 2, 3, 4]) },
        { "64-bit length with the top bit set", [0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4] },
    };

    [Theory]
    [MemberData(nameof(ProtocolErrors))]
    public void A_protocol_error_fails_the_connection(string what, byte[] wire)
    {
        var decoder = new WebSocketFrameDecoder();
        IOException e = Assert.Throws<IOException>(() => decoder.Decode(wire));
        Assert.True(decoder.Failed, what);
        Assert.Contains("WebSocket protocol error", e.Message);
        Assert.Equal(1002, decoder.CloseStatus); // RFC 6455 section 7.1.7: the close frame says why (a probe: it said nothing)
    }

    [Fact]
    public void MQTT5_6_0_0_1_a_text_frame_fails_the_connection_with_1003()
    {
        var decoder = new WebSocketFrameDecoder();
        Assert.Throws<IOException>(() => decoder.Decode(ClientFrames.Frame(true, WebSocketOpcode.Text, [0x30, 0x00], [1, 2, 3, 4])));
        Assert.True(decoder.Failed);
        Assert.Equal(1003, decoder.CloseStatus);
    }

    /// <summary>RFC 6455 sections 5.5.1 and 7.4: a valid code is echoed, an invalid close frame answered as a protocol error (a probe: all got 1000).</summary>
    [Theory]
    [InlineData(new byte[0], 1000)]
    [InlineData(new byte[] { 0x03, 0xE8 }, 1000)]
    [InlineData(new byte[] { 0x03, 0xE9, (byte)'b', (byte)'y', (byte)'e' }, 1001)]
    [InlineData(new byte[] { 0x0F, 0xA0 }, 4000)]
    [InlineData(new byte[] { 0x03 }, 1002)]
    [InlineData(new byte[] { 0x03, 0xE7 }, 1002)]
    [InlineData(new byte[] { 0x03, 0xED }, 1002)]
    [InlineData(new byte[] { 0x13, 0x88 }, 1002)]
    [InlineData(new byte[] { 0x03, 0xE9, 0xC3, 0x28 }, 1007)]
    public void A_close_frame_is_answered_with_its_code_or_the_error_in_it(byte[] payload, int expected)
    {
        var decoder = new WebSocketFrameDecoder();
        decoder.Decode(ClientFrames.Frame(true, WebSocketOpcode.Close, payload, [1, 2, 3, 4]));
        Assert.True(decoder.CloseReceived);
        Assert.Equal(expected, decoder.CloseStatus);
    }

    [Fact]
    public void Masking_matches_the_rfc_byte_by_byte_definition_at_every_key_offset()
    {
        Gen.Select(Gen.Byte.Array[0, 70], Gen.UInt, Gen.Int[0, 3]).Sample((payload, mask, offset) =>
        {
            byte[] masked = [.. payload];
            WebSocketFraming.Mask(masked, mask, offset);
            for (int i = 0; i < payload.Length; i++)
            {
                // RFC 6455 section 5.3: octet i is XORed with octet (i mod 4) of the key, here counted from offset.
                byte key = (byte)(mask >> (24 - 8 * ((offset + i) % 4)));
                Assert.Equal((byte)(payload[i] ^ key), masked[i]);
            }
        }, iter: 2000);
    }

    [Theory]
    [InlineData(0, new byte[] { 0x82, 0 })]
    [InlineData(125, new byte[] { 0x82, 125 })]
    [InlineData(126, new byte[] { 0x82, 126, 0, 126 })]
    [InlineData(65535, new byte[] { 0x82, 126, 0xFF, 0xFF })]
    [InlineData(65536, new byte[] { 0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0 })]
    public void RFC_6455_5_2_server_headers_use_the_shortest_length_form(int length, byte[] expected)
    {
        byte[] header = new byte[WebSocketFraming.MaxServerHeaderSize];
        int size = WebSocketFraming.WriteHeader(header, WebSocketOpcode.Binary, length);
        Assert.Equal(expected, header[..size]);
        Assert.Equal(size, WebSocketFraming.HeaderSize(length));
    }
}
