using Mqtt.Client;

namespace Mqtt.Cli.Commands;

/// <summary>
/// A request the broker must answer (a SUBACK, the E2E set-up's acknowledgements) bounded by --timeout, as the connect
/// is: a broker that keeps the connection alive but never answers would otherwise hold the command for ever.
/// </summary>
internal static class BrokerAnswer
{
    /// <summary>Runs <paramref name="request"/> for at most <paramref name="timeout"/> plus <paramref name="waits"/>, what the request itself waits for on purpose.</summary>
    /// <exception cref="MqttTimeoutException">No answer in time (exit 3).</exception>
    public static async Task<T> WithinAsync<T>(Func<CancellationToken, Task<T>> request, TimeSpan timeout, CancellationToken cancellationToken, TimeSpan waits = default)
    {
        TimeSpan limit = timeout == Timeout.InfiniteTimeSpan ? timeout : timeout + waits;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(limit);
        try
        {
            return await request(deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new MqttTimeoutException($"the broker did not answer within {limit.TotalSeconds:0.###} s");
        }
    }

    /// <inheritdoc cref="WithinAsync{T}"/>
    public static Task WithinAsync(Func<CancellationToken, Task> request, TimeSpan timeout, CancellationToken cancellationToken, TimeSpan waits = default) =>
        WithinAsync(async token =>
        {
            await request(token);
            return true;
        }, timeout, cancellationToken, waits);
}
