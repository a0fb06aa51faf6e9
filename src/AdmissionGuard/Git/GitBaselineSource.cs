using AdmissionGuard.Core;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace AdmissionGuard.Git;

/// <summary>
/// Git as the source of baselines: fetches through a resilience pipeline (per-attempt timeout,
/// retries with jittered exponential backoff, a circuit breaker that stops hammering a dead server),
/// then reads and validates one commit.
/// </summary>
internal sealed class GitBaselineSource
{
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(60);
    public const int Retries = 3;
    public static readonly TimeSpan BreakDuration = TimeSpan.FromMinutes(1);

    private readonly GitSettings _settings;
    private readonly GitRepositoryCache _cache;
    private readonly ResiliencePipeline _network;
    private readonly Sources.SourcePlan _plan;
    private readonly ParsedManifests _reused = new();

    /// <summary>What the last load read: a persisted baseline put in force is kept here, so the next commit reads only changed files.</summary>
    internal ParsedManifests Reused => _reused;

    /// <summary>Whether commits are read from <c>Git:Paths</c>' plain files, not through rendered sources.</summary>
    public bool ReadsPlainFiles => !_plan.UsesSources;

    public GitBaselineSource(GitSettings settings, TimeProvider clock, TimeSpan? firstRetryDelay = null)
    {
        _settings = settings;
        _cache = new GitRepositoryCache(settings);

        // Validated at start-up (SettingsCompiler): the problems are not reported twice.
        _plan = Sources.SourcePlan.Compile(settings, []);
        var transient = new PredicateBuilder()
            .Handle<LibGit2Sharp.LibGit2SharpException>(e => !IsPermanent(e))
            .Handle<IOException>()
            .Handle<TimeoutRejectedException>();
        _network = new ResiliencePipelineBuilder { TimeProvider = clock }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = transient,
                MaxRetryAttempts = Retries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = firstRetryDelay ?? TimeSpan.FromSeconds(1),
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = transient,
                FailureRatio = 1.0,
                MinimumThroughput = 8,
                SamplingDuration = TimeSpan.FromMinutes(5),
                BreakDuration = BreakDuration,
            })
            .AddTimeout(AttemptTimeout)
            .Build();
    }

    /// <summary>Fetches and returns the commit the configured ref points at.</summary>
    public string Fetch(CancellationToken cancel) =>
        _network.Execute(token => _cache.FetchAndResolve(token), cancel);

    /// <summary>Reads and validates one fetched commit; throws <see cref="BaselineLoadException"/> when it is not usable.</summary>
    public LoadedCommit Load(string commit, DateTimeOffset now, CancellationToken cancel = default) => Load(commit, now, withoutDigests: false, cancel);

    /// <summary>Reads and validates one fetched commit; throws <see cref="BaselineLoadException"/> when it is not usable.</summary>
    /// <param name="withoutDigests">
    /// Read plain files without their policies' served-spec digests, for <see cref="AddDigests"/> to add once the baseline
    /// is in force; rendered sources keep their served specs, and with them their digests.
    /// </param>
    public LoadedCommit Load(string commit, DateTimeOffset now, bool withoutDigests, CancellationToken cancel)
    {
        using var repo = _cache.Open();
        if (!_plan.UsesSources)
        {
            return BaselineLoader.ReadAndLoad(repo, commit, _settings, now, _reused, withoutDigests);
        }

        var (rendered, sources) = new Sources.SourceReader(_settings, _plan).Read(repo, commit, cancel);
        return BaselineLoader.Load(commit, rendered, sources, _settings, now);
    }

    /// <summary>The commit loaded <c>withoutDigests</c>, with its digests (<see cref="LaterDigests"/>).</summary>
    public LoadedCommit AddDigests(LoadedCommit loaded)
    {
        using var repo = _cache.Open();
        return LaterDigests.Add(repo, loaded, _settings, _reused);
    }

    /// <summary>A file's text at a fetched commit (the base or component file of a rendered policy), or null.</summary>
    public string? ReadText(string commit, string path) => _cache.ReadText(commit, path);

    /// <summary>Fetch and load at once, for the one-shot verbs.</summary>
    public Baseline FetchAndLoad(DateTimeOffset now) => Load(Fetch(CancellationToken.None), now).Baseline;

    /// <summary>
    /// A failure that the same fetch a second later meets again: reported at once, not retried. A cancelled callback is
    /// one of the guard's own refusals (the CaFile check, the credentials): a timeout or shutdown that stopped the
    /// transfer arrives as an <see cref="OperationCanceledException"/> instead (<see cref="GitRepositoryCache"/>).
    /// </summary>
    private static bool IsPermanent(LibGit2Sharp.LibGit2SharpException e) =>
        e is LibGit2Sharp.NotFoundException or LibGit2Sharp.UserCancelledException
        || IsUntrustedCertificate(e) || e.Message.Contains("authentication replays", StringComparison.Ordinal);

    private static bool IsUntrustedCertificate(Exception e) => e.Message.Contains("SSL certificate is invalid", StringComparison.Ordinal);

    /// <summary>Why a fetch failed, in one line without credentials.</summary>
    public static string Describe(Exception e) => RedactedUrl.Redact(e switch
    {
        BrokenCircuitException => $"Git unreachable: not retrying for {BreakDuration.TotalSeconds:0}s after repeated failures",
        TimeoutRejectedException => $"Git fetch timed out after {AttemptTimeout.TotalSeconds:0}s",
        LibGit2Sharp.LibGit2SharpException when IsUntrustedCertificate(e) =>
            $"{e.Message}: the Git server's certificate is not trusted (expired, for another name, or from a CA this system does not know; for a private CA, set AdmissionGuard:Git:CaFile)",
        _ => e.Message,
    }).ReplaceLineEndings(" ").Trim();
}
