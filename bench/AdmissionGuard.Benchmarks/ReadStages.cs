using System.Diagnostics;
using AdmissionGuard.Git;
using LibGit2Sharp;

namespace AdmissionGuard.Benchmarks;

/// <summary>
/// Where a cold read's CPU goes, stage by stage, on one thread: the tree walk, the blob reads, the block-style
/// conversion, the manifest read (without the served-spec digest, as a new pod reads, then with it), each thrown away, and
/// last the read as a new pod makes it, its policies' equal parts shared and kept. Each stage runs over every file before
/// the next starts, with its time and the bytes it allocates per file; the later rounds show the work without compiling it.
/// </summary>
internal static class ReadStages
{
    public static int Run(string cache, string repository, int rounds)
    {
        var settings = new GitSettings { Repository = repository, CacheDirectory = cache };
        var commitSha = new GitBaselineSource(settings, TimeProvider.System).Fetch(CancellationToken.None);
        using var repo = new GitRepositoryCache(settings).Open();
        var tree = repo.Lookup<Commit>(commitSha).Tree;
        var withoutDigest = new ManifestReadOptions(settings.DefaultNamespace) { WithoutDigest = true };
        var withDigest = withoutDigest with { WithoutDigest = false };
        for (var round = 1; round <= rounds; round++)
        {
            var blobs = new List<(string Path, ObjectId Id)>();
            var walk = Stage(() => BaselineLoader.CollectBlobs(tree, "", blobs));
            // Git:Paths' default, which the settings above keep.
            var files = blobs.Where(b => b.Path.EndsWith(".yaml", StringComparison.Ordinal) || b.Path.EndsWith(".yml", StringComparison.Ordinal)).ToArray();
            var texts = new string[files.Length];
            var read = Stage(() =>
            {
                for (var i = 0; i < files.Length; i++)
                {
                    texts[i] = BaselineLoader.ReadBlob(repo, files[i].Path, files[i].Id, commitSha);
                }
            });
            var convert = Stage(() => Array.ForEach(texts, text => BlockYamlToJson.TryConvert(text, policiesOnly: true)?.Dispose()));
            var parse = Stage(() =>
            {
                for (var i = 0; i < files.Length; i++)
                {
                    ManifestReader.Read(files[i].Path, texts[i], withoutDigest);
                }
            });
            var digest = Stage(() =>
            {
                for (var i = 0; i < files.Length; i++)
                {
                    ManifestReader.Read(files[i].Path, texts[i], withDigest);
                }
            });
            var sharing = new Core.Policy.PolicySharing();
            var kept = new List<Core.Policy.CanonicalPolicy>(files.Length);
            var readAndShare = Stage(() =>
            {
                for (var i = 0; i < files.Length; i++)
                {
                    foreach (var declared in ManifestReader.Read(files[i].Path, texts[i], withoutDigest))
                    {
                        kept.Add(sharing.Share(declared.Policy));
                    }
                }
            });
            GC.KeepAlive(kept);

            var perFile = (double)files.Length;
            string Of(string name, (TimeSpan Time, long Bytes, TimeSpan Paused) stage) =>
                $"{name} {stage.Time.TotalMilliseconds:F0} ms ({stage.Time.TotalMicroseconds / perFile:F1} us, {stage.Bytes / perFile:F0} B a file; collections paused {stage.Paused.TotalMilliseconds:F0} ms)";
            Console.WriteLine($"round {round}: {blobs.Count} blobs, {files.Length} manifests");
            Console.WriteLine($"   {Of("walk", walk)}");
            Console.WriteLine($"   {Of("blob reads", read)}");
            Console.WriteLine($"   {Of("block-style conversion", convert)}");
            Console.WriteLine($"   {Of("manifest read, conversion included, no digest", parse)}");
            Console.WriteLine($"   {Of("manifest read with the digest", digest)}");
            Console.WriteLine($"   {Of("manifest read, no digest, shared and kept (as a new pod reads)", readAndShare)}");
        }

        return 0;
    }

    private static (TimeSpan Time, long Bytes, TimeSpan Paused) Stage(Action stage)
    {
        var (bytes, paused, started) = (GC.GetAllocatedBytesForCurrentThread(), GC.GetTotalPauseDuration(), Stopwatch.GetTimestamp());
        stage();
        return (Stopwatch.GetElapsedTime(started), GC.GetAllocatedBytesForCurrentThread() - bytes, GC.GetTotalPauseDuration() - paused);
    }
}
