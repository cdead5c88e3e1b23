using CsCheck;
using Mqtt.Security.EndToEnd;

namespace Mqtt.Security.Tests.EndToEnd;

public sealed class ReplayWindowTests
{
    [Fact]
    public void Every_number_is_accepted_once_in_any_order_within_64()
    {
        var window = new ReplayWindow();
        int[] order = [.. Enumerable.Range(0, 64).Reverse()];
        window.Accept(63);
        foreach (int n in order[1..])
        {
            Assert.Equal(E2eError.None, window.Check((ulong)n));
            window.Accept((ulong)n);
        }

        for (ulong n = 0; n < 64; n++)
        {
            Assert.Equal(E2eError.Duplicate, window.Check(n));
        }

        Assert.Equal(E2eError.None, window.Check(64));
    }

    [Fact]
    public void A_number_64_or_more_below_the_highest_is_beyond_the_window()
    {
        var window = new ReplayWindow();
        window.Accept(100);

        Assert.Equal(E2eError.None, window.Check(37)); // distance 63
        Assert.Equal(E2eError.ReorderedBeyondWindow, window.Check(36)); // distance 64
        Assert.Equal(E2eError.ReorderedBeyondWindow, window.Check(0));
    }

    [Fact]
    public void A_jump_forward_keeps_the_bits_still_in_the_window_and_drops_the_rest()
    {
        var window = new ReplayWindow();
        window.Accept(10);
        window.Accept(12);
        window.Accept(70); // 12 is at distance 58, 10 at 60

        Assert.Equal(E2eError.Duplicate, window.Check(12));
        Assert.Equal(E2eError.Duplicate, window.Check(10));
        Assert.Equal(E2eError.None, window.Check(11));

        window.Accept(200); // everything before is beyond the window now
        Assert.Equal(E2eError.ReorderedBeyondWindow, window.Check(70));
        Assert.Equal(E2eError.Duplicate, window.Check(200));
        Assert.Equal(200UL, window.Highest);
    }

    /// <summary>Two receivers' views of one session, merged when saved: nothing either refuses may open afterwards.</summary>
    [Fact]
    public void A_union_refuses_every_number_either_window_refuses_and_opens_the_rest_within_it()
    {
        Gen.Select(Gen.ULong[0, 200].Array[0, 40], Gen.ULong[0, 200].Array[0, 40]).Sample(static (first, second) =>
        {
            ReplayWindow a = Received(first), b = Received(second);
            ReplayWindow union = ReplayWindow.Union(a, b);

            for (ulong n = 0; n <= 300; n++)
            {
                bool refused = a.Check(n) != E2eError.None || b.Check(n) != E2eError.None;
                bool withinUnion = union.IsEmpty || n + ReplayWindow.Size > union.Highest;
                Assert.Equal(refused || !withinUnion, union.Check(n) != E2eError.None);
            }
        });
    }

    [Fact]
    public void The_largest_sequence_numbers_do_not_overflow()
    {
        var window = new ReplayWindow();
        window.Accept(ulong.MaxValue - 1);

        Assert.Equal(E2eError.Duplicate, window.Check(ulong.MaxValue - 1));
        Assert.Equal(E2eError.None, window.Check(ulong.MaxValue - 2));
        Assert.Equal(E2eError.ReorderedBeyondWindow, window.Check(0));
    }

    private static ReplayWindow Received(ulong[] sequence)
    {
        var window = new ReplayWindow();
        foreach (ulong n in sequence)
        {
            if (window.Check(n) == E2eError.None)
            {
                window.Accept(n);
            }
        }

        return window;
    }
}
