using System.Runtime.InteropServices;

namespace Mqtt.Cli.Commands;

/// <summary>
/// SIGINT and SIGTERM as the normal end of a command that runs until stopped (`broker`, and `sub` and `recv` as
/// mosquitto_sub: exit 0): <see cref="Token"/> is cancelled instead of the process being ended.
/// </summary>
internal sealed class InterruptSignals : IDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly PosixSignalRegistration _sigint;
    private readonly PosixSignalRegistration _sigterm;

    /// <summary>Listens for the signals; <see cref="Token"/> is also cancelled with <paramref name="outer"/>.</summary>
    public InterruptSignals(CancellationToken outer)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(outer);
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    /// <summary>Cancelled by a signal or by the outer token.</summary>
    public CancellationToken Token => _stop.Token;

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The command ended while the signal arrived.
        }
    }

    public void Dispose()
    {
        _sigint.Dispose();
        _sigterm.Dispose();
        _stop.Dispose();
    }
}
