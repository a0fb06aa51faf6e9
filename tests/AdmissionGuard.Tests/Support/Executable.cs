using System.Diagnostics;

namespace AdmissionGuard.Tests.Support;

/// <summary>Runs the built admissionguard executable as a user would, and captures what it prints.</summary>
public static class Executable
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "admissionguard.dll");

    public sealed record Result(int ExitCode, string Output, string Errors);

    public static Result Run(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        using var process = Start(workingDirectory, environment, arguments);
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"admissionguard {string.Join(' ', arguments)} did not exit");
        }

        return new Result(process.ExitCode, output.Result, errors.Result);
    }

    public static Process Start(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The test runner's own settings must not leak into the program under test.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("AdmissionGuard__", StringComparison.Ordinal)
            || k.StartsWith("Kestrel__", StringComparison.Ordinal) || k == "KUBERNETES_SERVICE_HOST").ToList())
        {
            start.Environment.Remove(key);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        return Process.Start(start)!;
    }
}
