using System.Runtime.ExceptionServices;
using AdmissionGuard.Core;
using LibGit2Sharp;
using Microsoft.Extensions.FileSystemGlobbing;

namespace AdmissionGuard.Git;

/// <summary>
/// A manifest text of one commit: a file (its path in the repository and its text), or the output of a rendered
/// source (its folder and the render, with where each object came from in origin annotations).
/// </summary>
/// <param name="Text">The file's text; empty for a file of a refresh whose blob did not change, as what was read from it is kept instead.</param>
public sealed record ManifestFile(string Path, string Text)
{
    /// <summary>For objects that name no namespace; null: <c>Git:DefaultNamespace</c>.</summary>
    public string? Namespace { get; init; }

    /// <summary>Every policy goes into this namespace.</summary>
    public string? TargetNamespace { get; init; }

    /// <summary>Set when <see cref="Text"/> is kustomize's output for the folder <see cref="Path"/>.</summary>
    public bool Rendered { get; init; }

    /// <summary>The source it was read through, as /status names it; null for <c>Git:Paths</c>.</summary>
    public string? Source { get; init; }

    /// <summary>The Git blob of a file (null for a render): a file whose blob is unchanged is not read again.</summary>
    public string? BlobId { get; init; }

    /// <summary>For a render made without origin annotations: the repository path of the file declaring each rendered policy, by name.</summary>
    public Dictionary<string, string>? Origins { get; init; }

    /// <summary>What was read from <see cref="Text"/> as soon as it was rendered; not persisted, read again after a restart.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    internal IReadOnlyList<DeclaredPolicy>? Read { get; init; }

    internal ManifestReadOptions ReadOptions(string defaultNamespace) => new(Namespace ?? defaultNamespace)
    {
        TargetNamespace = TargetNamespace,
        RenderedFrom = Rendered ? Path : null,
        OriginOf = Origins is { } origins ? name => origins.GetValueOrDefault(name) : null,
        Via = Rendered ? (Path.Length == 0 ? "." : Path) : null,
        KeepServedSpec = Source is not null,
    };
}

/// <summary>
/// Builds a <see cref="Baseline"/> from one commit: every file matching <c>Git:Paths</c>, read as
/// manifests. The commit is rejected whole when a file does not parse or two documents declare the
/// same policy.
/// </summary>
internal static class BaselineLoader
{
    /// <summary>Below this many files, and this much text to read (a few large renders), parsing in parallel costs more than it saves.</summary>
    private const int ParallelFromFiles = 64;

    private const long ParallelFromCharacters = 512 * 1024;

    /// <summary>
    /// Parallel loops run no more workers than CPUs: when workers wait on the sharing tables' locks the pool adds threads,
    /// and the added threads only wait on the same locks (a restart's read of 50,000 policies: 7 threads on 2 CPUs).
    /// </summary>
    public static readonly ParallelOptions OnePerProcessor = new() { MaxDegreeOfParallelism = Environment.ProcessorCount };

    /// <summary>Files waiting to be parsed while the next ones are read: enough to keep every CPU busy, few enough to hold.</summary>
    private const int QueuedFiles = 256;

    /// <summary>
    /// Reads the plain files of a commit (<c>Git:Paths</c>) into a baseline, parsing each while the next are read: the
    /// blobs come from the clone one at a time, and a file's text is dropped once it is parsed, so a commit of 50,000 files
    /// never holds all their texts at once. A file whose blob is unchanged since <paramref name="reused"/>'s commit is
    /// neither read nor parsed. Errors are reported as <see cref="Load"/> reports them: the first file's, in path order.
    /// </summary>
    /// <param name="withoutDigests">Leave out each policy's served-spec digest (<see cref="ManifestReadOptions.WithoutDigest"/>).</param>
    public static LoadedCommit ReadAndLoad(
        Repository repo, string commitSha, GitSettings settings, DateTimeOffset now, ParsedManifests? reused = null, bool withoutDigests = false)
    {
        var selected = SelectedBlobs(repo, commitSha, settings);
        var files = new ManifestFile[selected.Count];
        var parsed = new Parsed[selected.Count];
        var sharing = new Core.Policy.PolicySharing();
        var pacer = new ReadGarbagePacer();
        ReadThenParse(
            selected.Count,
            i =>
            {
                var (path, id) = selected[i];

                // An unchanged blob is known by its id alone; its size would cost reading the object from the pack.
                if (reused?.File(path, id.Sha) is { } unchanged)
                {
                    (files[i], parsed[i]) = (unchanged, new Parsed(reused.Policies(unchanged), null));
                    return false;
                }

                files[i] = new ManifestFile(path, ReadBlob(repo, path, id, commitSha)) { BlobId = id.Sha };
                return true;
            },
            index =>
            {
                parsed[index] = Parse(files[index], settings, sharing, pacer, withoutDigests);
                files[index] = files[index] with { Text = "" };
            });

        var (baseline, declared) = Assemble(commitSha, files, parsed, settings, now, [], [], reused);
        return new LoadedCommit(baseline, files, [], declared);
    }

    /// <summary>A file's text from the clone, refused whole when it is larger than a manifest may be.</summary>
    public static string ReadBlob(Repository repo, string path, ObjectId id, string commitSha)
    {
        var blob = repo.Lookup<Blob>(id) ?? throw new BaselineLoadException($"{path}: blob {id.ToString(7)} is not in the cached clone", commitSha, path);
        if (blob.Size > ManifestReader.MaxFileBytes)
        {
            throw new BaselineLoadException($"{path}: file is larger than {ManifestReader.MaxFileBytes / 1024 / 1024} MiB", commitSha, path);
        }

        return ManifestText.Decode(path, blob, commitSha);
    }

    /// <summary>
    /// Reads items on this thread (the clone's) and parses each read one on threads of their own, while the next ones are
    /// read: <paramref name="read"/> says whether item i is to be parsed; <paramref name="parse"/> must keep an item's
    /// failure with the item (an exception from it is the process failing, and is rethrown here).
    /// </summary>
    /// <remarks>An exception from <paramref name="read"/> is rethrown once the parsers have stopped.</remarks>
    /// <param name="parsers">How many threads parse: one per CPU unless told.</param>
    public static void ReadThenParse(int count, Func<int, bool> read, Action<int> parse, int? parsers = null)
    {
        using var queue = new System.Collections.Concurrent.BlockingCollection<int>(QueuedFiles);
        using var parsersFailed = new CancellationTokenSource();

        // Threads of their own: they wait on the queue, and must not hold the pool's threads that /validate runs on.
        var threads = Enumerable.Range(0, parsers ?? Environment.ProcessorCount).Select(_ => Task.Factory.StartNew(
            () =>
            {
                try
                {
                    foreach (var index in queue.GetConsumingEnumerable())
                    {
                        parse(index);
                    }
                }
                catch
                {
                    // The reader must not wait for room in the queue that nobody will make.
                    parsersFailed.Cancel();
                    throw;
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToArray();

        var reading = true;
        try
        {
            for (var i = 0; i < count; i++)
            {
                if (read(i))
                {
                    queue.Add(i, parsersFailed.Token);
                }
            }

            reading = false;
        }
        catch (OperationCanceledException) when (parsersFailed.IsCancellationRequested)
        {
            // A parser failed: its exception, from the wait below, is the one to report.
            reading = false;
        }
        finally
        {
            queue.CompleteAdding();
            try
            {
                Task.WaitAll(threads);
            }
            catch (AggregateException) when (reading)
            {
                // The reader's own exception, on its way out, is the one to report.
            }
            catch (AggregateException e) when (e.InnerExceptions is [var only])
            {
                ExceptionDispatchInfo.Throw(only);
            }
        }
    }

    /// <summary>
    /// The blobs of the commit that <c>Git:Paths</c> selects, in path order, by id: a blob's object is made only when it
    /// is read, so a commit of 200,000 files does not hold 200,000 of them at once.
    /// </summary>
    private static List<(string Path, ObjectId Id)> SelectedBlobs(Repository repo, string commitSha, GitSettings settings)
    {
        var commit = repo.Lookup<Commit>(commitSha) ?? throw new BaselineLoadException($"commit {commitSha} not found", commitSha);
        var matcher = new Matcher(StringComparison.Ordinal);
        matcher.AddIncludePatterns(settings.EffectivePaths);

        var blobs = new List<(string Path, ObjectId Id)>();
        CollectBlobs(commit.Tree, "", blobs);
        var selected = matcher.Match(blobs.Select(f => f.Path)).Files.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        blobs.RemoveAll(f => !selected.Contains(f.Path));
        blobs.Sort(static (a, b) => string.CompareOrdinal(a.Path, b.Path));
        return blobs;
    }

    /// <summary>
    /// Reads the commit's manifest texts into a baseline, with each source's report given the number of policies it
    /// declares. The commit is rejected whole when a file does not parse or two documents declare the same policy.
    /// </summary>
    /// <param name="files">Texts to read, or files whose <see cref="ManifestFile.Read"/> already holds their policies.</param>
    /// <param name="reused">What earlier loads read: a file they read is not parsed again; receives what this one reads.</param>
    /// <param name="readIsShared">
    /// Whether the files' <see cref="ManifestFile.Read"/> policies share their equal parts already (a persisted baseline's,
    /// read from its part tables): they are taken as they are, not shared again.
    /// </param>
    public static LoadedCommit Load(
        string commitSha,
        IReadOnlyList<ManifestFile> files,
        IReadOnlyList<Sources.SourceReport> sources,
        GitSettings settings,
        DateTimeOffset now,
        ParsedManifests? reused = null,
        bool readIsShared = false)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var unrendered = sources.Where(s => s.Problem is not null).Select(s => $"{s.Name}: not rendered: {s.Problem}");
        var (baseline, declared) = Build(commitSha, files, settings, now, counts, [.. unrendered], reused, new Core.Policy.PolicySharing(), readIsShared);
        return new LoadedCommit(baseline, files, [.. sources.Select(s => s with { Policies = counts.GetValueOrDefault(s.Name) })], declared);
    }

    /// <param name="policiesBySource">Receives how many policies each source (<see cref="ManifestFile.Source"/>) declares.</param>
    /// <param name="notices">Said about the commit besides what its manifests' readers note (sources not rendered).</param>
    private static (Baseline Baseline, IReadOnlyList<DeclaredPolicy>[] Declared) Build(
        string commitSha,
        IReadOnlyList<ManifestFile> files,
        GitSettings settings,
        DateTimeOffset now,
        Dictionary<string, int> policiesBySource,
        IReadOnlyList<string> notices,
        ParsedManifests? reused,
        Core.Policy.PolicySharing sharing,
        bool readIsShared)
    {
        // Only what is read now is shared, among itself: what unchanged files gave was shared when it was read, and
        // going over all of it again would cost a one-file commit as much as its read.

        // Files are parsed in parallel, then taken in order: the first bad file and the first duplicate
        // are reported exactly as a sequential read would report them. Each file's policies are shared as
        // soon as they are read, so that the unshared copies of 50,000 policies never all live at once.
        var parsed = new Parsed[files.Count];
        var pacer = new ReadGarbagePacer();
        void ParseFile(int index) => parsed[index] = reused?.Policies(files[index]) is { } kept ? new Parsed(kept, null)
            : readIsShared && files[index].Read is { } shared ? new Parsed(shared, null)
            : Parse(files[index], settings, sharing, pacer);

        var textToRead = files.Sum(f => f.Read is null ? (long)f.Text.Length : 0);
        if (!readIsShared && (files.Count >= ParallelFromFiles || textToRead >= ParallelFromCharacters) && Environment.ProcessorCount > 1)
        {
            Parallel.For(0, files.Count, OnePerProcessor, ParseFile);
        }
        else
        {
            for (var i = 0; i < files.Count && (i == 0 || parsed[i - 1].Error is null); i++)
            {
                ParseFile(i);
            }
        }

        return Assemble(commitSha, files, parsed, settings, now, policiesBySource, notices, reused);
    }

    /// <summary>What one file declares, shared; or why it cannot be read.</summary>
    private readonly record struct Parsed(IReadOnlyList<DeclaredPolicy>? Policies, ExceptionDispatchInfo? Error);

    private static Parsed Parse(ManifestFile file, GitSettings settings, Core.Policy.PolicySharing sharing, ReadGarbagePacer pacer, bool withoutDigest = false)
    {
        try
        {
            var read = file.Read ?? ManifestReader.Read(file.Path, file.Text, file.ReadOptions(settings.DefaultNamespace) with { WithoutDigest = withoutDigest });
            return new Parsed(Shared(read, sharing), null);
        }
        catch (Exception e)
        {
            return new Parsed(null, ExceptionDispatchInfo.Capture(e));
        }
        finally
        {
            pacer.Parsed(file.Text.Length);
        }
    }

    /// <summary>
    /// The baseline of what the files declare, taken in order: the first file that failed, then the first policy
    /// declared twice, is the error.
    /// </summary>
    private static (Baseline Baseline, IReadOnlyList<DeclaredPolicy>[] Declared) Assemble(
        string commitSha,
        IReadOnlyList<ManifestFile> files,
        Parsed[] parsed,
        GitSettings settings,
        DateTimeOffset now,
        Dictionary<string, int> policiesBySource,
        IReadOnlyList<string> notices,
        ParsedManifests? reused)
    {
        var declared = new Dictionary<Core.Policy.PolicyKey, DeclaredPolicy>();
        for (var i = 0; i < files.Count; i++)
        {
            var file = files[i];
            if (parsed[i].Error is { } error)
            {
                if (error.SourceException is ManifestException e)
                {
                    throw new BaselineLoadException(e.Message, commitSha, e.Path, e);
                }

                error.Throw();
            }

            if (file.Source is { } source)
            {
                policiesBySource[source] = policiesBySource.GetValueOrDefault(source) + parsed[i].Policies!.Count;
            }

            foreach (var policy in parsed[i].Policies!)
            {
                if (declared.TryGetValue(policy.Policy.Id, out var first))
                {
                    throw new BaselineLoadException(
                        $"NetworkPolicy {policy.Policy.Id} is declared twice: {first.Location} and {policy.Location}", commitSha, file.Path);
                }

                declared.Add(policy.Policy.Id, policy);
            }
        }

        var perFile = parsed.Select(p => p.Policies!).ToArray();
        reused?.Keep(files, perFile);
        var baseline = new Baseline(
            commitSha,
            settings.Ref,
            now,
            declared.Values.Select(d => d.Entry()),
            [.. notices, .. perFile.SelectMany(p => p).Select(d => d.Notice).OfType<string>()]);
        return (baseline, perFile);
    }

    /// <summary>Every blob under <paramref name="tree"/>, with its path, in the tree's order.</summary>
    internal static void CollectBlobs(Tree tree, string prefix, List<(string Path, ObjectId Id)> files)
    {
        foreach (var entry in tree)
        {
            var path = prefix + entry.Name;
            switch (entry.Target)
            {
                case Tree subtree:
                    CollectBlobs(subtree, path + "/", files);
                    break;
                case Blob blob:
                    files.Add((path, blob.Id));
                    break;
            }
        }
    }

    /// <summary>The policies with their equal parts shared across the baseline (<see cref="Core.Policy.PolicySharing"/>).</summary>
    private static DeclaredPolicy[] Shared(IReadOnlyList<DeclaredPolicy> policies, Core.Policy.PolicySharing sharing)
    {
        var shared = new DeclaredPolicy[policies.Count];
        for (var i = 0; i < policies.Count; i++)
        {
            var policy = sharing.Share(policies[i].Policy);
            shared[i] = ReferenceEquals(policy, policies[i].Policy) ? policies[i] : policies[i] with { Policy = policy };
        }

        return shared;
    }
}
