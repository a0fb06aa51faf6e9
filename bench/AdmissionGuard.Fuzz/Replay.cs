using System.Diagnostics;

namespace AdmissionGuard.Fuzz;

/// <summary>
/// Runs saved inputs outside afl-fuzz (crashes and hangs it found, or a whole queue) and says what each did:
/// read, refused (with the message), skipped, crashed (with the stack trace) or slow.
/// </summary>
internal static class Replay
{
    /// <summary>An input still running after this long is reported as a hang and the replay stops.</summary>
    private static readonly TimeSpan GiveUp = TimeSpan.FromSeconds(60);

    private static readonly string[] Outcomes = ["read", "refused", "skipped", "crash", "slow", "hang"];

    /// <returns>0 when every input was read, refused or skipped in time; 1 otherwise.</returns>
    public static int Run(string target, IReadOnlyList<string> paths, int slowMs)
    {
        var files = paths.SelectMany(Inputs).ToList();
        if (files.Count == 0)
        {
            Console.Error.WriteLine($"no inputs in {string.Join(", ", paths)}");
            return 2;
        }

        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var input = File.ReadAllBytes(file);
            var (outcome, elapsed, detail) = RunOne(target, input);
            if (outcome != "crash" && outcome != "hang" && elapsed.TotalMilliseconds > slowMs)
            {
                // The first input of a run pays for JIT compilation: time it again before calling it slow.
                (outcome, elapsed, detail) = RunOne(target, input);
                if (outcome != "crash" && outcome != "hang" && elapsed.TotalMilliseconds > slowMs)
                {
                    detail = $"{outcome} after {elapsed.TotalMilliseconds:F0} ms (over {slowMs} ms)" + (detail is null ? "" : $": {detail}");
                    outcome = "slow";
                }
            }

            counts[outcome] = counts.GetValueOrDefault(outcome) + 1;
            Console.WriteLine($"{outcome,-8} {elapsed.TotalMilliseconds,7:F1} ms  {file} ({input.Length} bytes){(detail is null ? "" : "\n         " + detail.Replace("\n", "\n         ", StringComparison.Ordinal))}");
            if (outcome == "hang")
            {
                break;
            }
        }

        Console.WriteLine($"{files.Count} inputs: " + string.Join(", ", Outcomes.Select(o => $"{counts.GetValueOrDefault(o)} {o}")));
        return counts.GetValueOrDefault("crash") + counts.GetValueOrDefault("slow") + counts.GetValueOrDefault("hang") == 0 ? 0 : 1;
    }

    private static (string Outcome, TimeSpan Elapsed, string? Detail) RunOne(string target, byte[] input)
    {
        var clock = Stopwatch.StartNew();
        var run = Task.Run(() =>
        {
            var outcome = Targets.Run(target, input);
            return (outcome, Targets.LastRefusal);
        });
        try
        {
            if (!run.Wait(GiveUp))
            {
                return ("hang", clock.Elapsed, $"still running after {GiveUp.TotalSeconds:F0} s");
            }

            var (outcome, refusal) = run.Result;
            return (outcome.ToString().ToLowerInvariant(), clock.Elapsed, outcome == Outcome.Refused ? refusal : null);
        }
        catch (AggregateException e) when (e.InnerException is { } crash)
        {
            return ("crash", clock.Elapsed, crash.ToString());
        }
    }

    /// <summary>A file, or the files of a folder and its subfolders in name order (afl-fuzz's README.txt and hidden state left out).</summary>
    private static IEnumerable<string> Inputs(string path) =>
        Directory.Exists(path)
            ? Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                .Where(file => Path.GetFileName(file) != "README.txt"
                    && !Path.GetRelativePath(path, file).Split(Path.DirectorySeparatorChar).Any(part => part.StartsWith('.')))
                .Order(StringComparer.Ordinal)
            : [path];
}
