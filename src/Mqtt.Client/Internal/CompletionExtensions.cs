namespace Mqtt.Client;

/// <summary>Fails a completion whose task the caller may have stopped awaiting (a cancelled wait), without an unobserved exception.</summary>
internal static class CompletionExtensions
{
    public static void FailObserved<T>(this TaskCompletionSource<T> completion, Exception reason)
    {
        if (completion.TrySetException(reason))
        {
            _ = completion.Task.Exception;
        }
    }

    public static void FailObserved(this TaskCompletionSource completion, Exception reason)
    {
        if (completion.TrySetException(reason))
        {
            _ = completion.Task.Exception;
        }
    }
}
