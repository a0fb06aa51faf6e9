using AdmissionGuard.Fuzz;
using SharpFuzz;

// AdmissionGuard.Fuzz TARGET                          under afl-fuzz: reads each input from stdin (bench/fuzz.sh)
// AdmissionGuard.Fuzz TARGET --replay PATH...         runs files, or every file of folders, and reports each outcome
// AdmissionGuard.Fuzz TARGET --seeds OUT SOURCE...    writes a seed corpus for TARGET from files or folders
const string Usage = """
    usage: AdmissionGuard.Fuzz TARGET                        fuzz under afl-fuzz (input on stdin)
           AdmissionGuard.Fuzz TARGET --replay PATH...        replay files or folders of inputs
                                      [--slow-ms N]           an input slower than N ms is a hang (default 1000)
           AdmissionGuard.Fuzz TARGET --seeds OUT SOURCE...   write a seed corpus from files or folders
    targets: review, policy, manifest
    """;

// Before anything instrumented runs (Targets' static fields included).
CoverageMap.AllocateScratch();
if (args.Length == 0 || !Targets.Names.Contains(args[0]))
{
    Console.Error.WriteLine(Usage);
    return 2;
}

var target = args[0];
switch (args.Skip(1).FirstOrDefault())
{
    case null:
        Targets.Prepare(target);
        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            var input = memory.ToArray();

            // On a thread-pool thread, as the webhook and the baseline refresher call the readers: same stack size.
            Task.Run(() => Targets.Run(target, input)).GetAwaiter().GetResult();
        });
        return 0;
    case "--replay" when args.Length > 2:
        return Replay.Run(target, ReplayPaths(args[2..], out var slowMs), slowMs);
    case "--seeds" when args.Length > 3:
        return Seeds.Write(target, args[2], args[3..]);
    default:
        Console.Error.WriteLine(Usage);
        return 2;
}

static List<string> ReplayPaths(string[] rest, out int slowMs)
{
    slowMs = 1000;
    var paths = new List<string>();
    for (var i = 0; i < rest.Length; i++)
    {
        if (rest[i] == "--slow-ms" && i + 1 < rest.Length && int.TryParse(rest[i + 1], out var ms))
        {
            slowMs = ms;
            i++;
        }
        else
        {
            paths.Add(rest[i]);
        }
    }

    return paths;
}
