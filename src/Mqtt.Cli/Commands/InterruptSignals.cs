using System.Runtime.InteropServices;

namespace Mqtt.Cli.Commands;

/// <summary>
/// SIGINT and SIGTERM as the normal end of a command that runs until stopped (`broker`, and `sub` and `recv` as
/// mosquitto_sub: exit 0): <see cref="Token"/> is cancelled instead of the process being ended.
/// </summary>
internal sealed class InterruptSignals : IDisposable
{
    /// <summary>
    /// How long `sub` and `recv` get to end by themselves after a signal. A write to a full pipe (`sub | sleep 60`)
    /// blocks and cannot be cancelled, and mosquitto_sub ends at once however full its stdout is.
    /// </summary>
    public static readonly TimeSpan ClientGrace = TimeSpan.FromSeconds(2);

    private const int SigInt = 2; // Linux and macOS

    private readonly CancellationTokenSource _stop;
    private readonly PosixSignalRegistration _sigint;
    private readonly PosixSignalRegistration _sigterm;
    private readonly TimeSpan? _exitAfter;
    private readonly Lock _exitLock = new();
    private Timer? _exit;
    private bool _disposed;

    /// <summary>
    /// Listens for the signals; <see cref="Token"/> is also cancelled with <paramref name="outer"/>. With
    /// <paramref name="exitAfter"/>, a command still running that long after a signal is ended with exit 0 (the
    /// broker has none: saving its state may take longer).
    /// </summary>
    public InterruptSignals(CancellationToken outer, TimeSpan? exitAfter = null)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(outer);
        _exitAfter = exitAfter;
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    /// <summary>Cancelled by a signal or by the outer token.</summary>
    public CancellationToken Token => _stop.Token;

    /// <summary>
    /// Gives SIGINT back its default disposition when the process started with it ignored, as a non-interactive
    /// shell starts background jobs (`mqttcore sub ... &amp;` in a script): .NET keeps an ignored signal ignored, so
    /// `kill -INT` would never reach the handler. Must run before anything touches Console or signals, because the
    /// runtime reads the disposition once, when it sets its signal handling up.
    /// </summary>
    public static void HandleSigIntEvenIfIgnored()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        try
        {
            _ = Native.signal(SigInt, 0 /* SIG_DFL */);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // A system whose C library is not found as "libc": SIGINT stays as the shell left it.
        }
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        lock (_exitLock)
        {
            if (_disposed)
            {
                return; // the command ended while the signal arrived
            }
            if (_exitAfter is TimeSpan grace)
            {
                _exit ??= new Timer(static _ => Environment.Exit(ExitCodes.Success), null, grace, Timeout.InfiniteTimeSpan);
            }
            _stop.Cancel(); // may end the command, and dispose this, on this thread: hence the timer first
        }
    }

    public void Dispose()
    {
        lock (_exitLock)
        {
            _disposed = true;
            _exit?.Dispose();
        }
        _sigint.Dispose();
        _sigterm.Dispose();
        _stop.Dispose();
    }

    private static class Native
    {
        [DllImport("libc")]
#pragma warning disable SA1300, IDE1006 // libc name
        public static extern nint signal(int signum, nint handler);
#pragma warning restore SA1300, IDE1006
    }
}
