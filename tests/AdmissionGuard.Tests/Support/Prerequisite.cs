using System.ComponentModel;
using System.Diagnostics;

namespace AdmissionGuard.Tests.Support;

/// <summary>
/// What some tests need beyond the .NET SDK, git and openssl. Without it they report as skipped, naming what
/// is missing, instead of failing on a fresh clone; <c>.ci/run</c>, which has everything, fails on any skip.
/// </summary>
/// <remarks>Only tests marked <c>[SkippableFact]</c> or <c>[SkippableTheory]</c> turn the skip into a result.</remarks>
public static class Prerequisite
{
    /// <summary>Marks a test row that stands in for an absent folder, so that a theory is skipped rather than empty.</summary>
    public const string AbsentRow = "(absent)";

    /// <summary>A folder of <c>../shared</c> (beside the repository), or a skip naming it.</summary>
    public static string SharedFolder(string name)
    {
        var folder = Path.Combine(RepositoryRoot.Shared, name);
        Skip.IfNot(Directory.Exists(folder), $"../shared/{name} not found ({folder}): this test reads it");
        return folder;
    }

    /// <summary>Whether <c>../shared/NAME</c> exists; for theory data, which cannot skip.</summary>
    public static bool HasSharedFolder(string name) => Directory.Exists(Path.Combine(RepositoryRoot.Shared, name));

    /// <summary>A program on PATH, or a skip naming it and what it is for.</summary>
    public static void Command(string program, string purpose) =>
        Skip.IfNot(Available.GetOrAdd(program, p => Runs(p, "--help")), $"{program} not found on PATH: {purpose}");

    /// <summary>A git subcommand some distributions package apart (git daemon, git http-backend), or a skip.</summary>
    public static void GitCommand(string subcommand) =>
        Skip.IfNot(Available.GetOrAdd("git " + subcommand, _ => Runs("git", subcommand, "-h")), $"git {subcommand} not available: install the package that provides it");

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> Available = new(StringComparer.Ordinal);

    /// <summary>Started and exited in time, whatever its exit code (git daemon -h exits 129).</summary>
    private static bool Runs(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start);
            if (process is null)
            {
                return false;
            }

            _ = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            var exited = process.WaitForExit(TimeSpan.FromSeconds(20));
            return exited && !(process.ExitCode == 1 && stderr.Result.Contains("is not a git command", StringComparison.Ordinal));
        }
        catch (Win32Exception)
        {
            return false;
        }
    }
}
