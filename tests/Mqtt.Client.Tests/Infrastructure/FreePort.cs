using System.Net;
using System.Net.Sockets;

namespace Mqtt.Client.Tests;

/// <summary>A free TCP port on 127.0.0.1, found by binding port 0 (never 1883).</summary>
public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Waits until something accepts connections on the port, or fails after the timeout.</summary>
    public static async Task WaitUntilAcceptingAsync(int port, TimeSpan timeout, Func<string>? diagnostics = null)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port, deadline.Token);
                return;
            }
            catch (SocketException)
            {
                try
                {
                    await Task.Delay(50, deadline.Token);
                }
                catch (OperationCanceledException)
                {
                    throw new TimeoutException($"nothing accepts connections on 127.0.0.1:{port} after {timeout}. {diagnostics?.Invoke()}");
                }
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"nothing accepts connections on 127.0.0.1:{port} after {timeout}. {diagnostics?.Invoke()}");
            }
        }
    }
}
