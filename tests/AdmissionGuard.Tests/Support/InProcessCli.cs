using System.CommandLine;

namespace AdmissionGuard.Tests.Support;

/// <summary>Runs the command line in this process, as Program does, with what it prints captured.</summary>
public static class InProcessCli
{
    /// <summary>
    /// A verb that should stop at once gets <paramref name="within"/>: a server started by mistake is stopped
    /// then and exits 0, so the test fails on the exit code instead of hanging.
    /// </summary>
    public static async Task<Executable.Result> RunAsync(string[] arguments, TimeSpan? within = null)
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        using var stop = new CancellationTokenSource(within ?? TimeSpan.FromSeconds(120));

        // No process termination handler: this is the test host's process, not the program's.
        var configuration = new InvocationConfiguration { Output = output, Error = errors, ProcessTerminationTimeout = null };
        var exit = await AdmissionGuard.Hosting.Cli.RunAsync(arguments, configuration, stop.Token);
        return new Executable.Result(exit, output.ToString(), errors.ToString());
    }
}
