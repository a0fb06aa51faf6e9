using AdmissionGuard.Git;
using AdmissionGuard.Git.Sources;
using AdmissionGuard.Tests.Support;

namespace AdmissionGuard.Tests.Sources;

/// <summary>A real Git repository of kustomize trees and GitOps objects, read through sources as the server reads it.</summary>
internal sealed class SourceRepository : IDisposable
{
    /// <summary>The NetworkPolicy <c>db</c> of the drift fixtures, without its namespace: a kustomization gives it one.</summary>
    public static readonly string DbPolicy = Drift.DriftFixtures.Db.Replace("  namespace: shop\n", "", StringComparison.Ordinal);

    private readonly GitRepository _repository = new();
    private readonly TempDirectory _cache = new();

    public SourceRepository(IReadOnlyDictionary<string, string> files)
    {
        Commit = _repository.Commit(files);
    }

    public string Commit { get; }

    public string Path => _repository.Path;

    /// <summary>Loads the commit with these Git settings (repository and cache filled in); kustomize runs as the product runs it.</summary>
    public LoadedCommit Load(Action<GitSettings> configure)
    {
        Prerequisite.Command("kubectl", "rendered sources are built with kubectl kustomize when kustomize is not installed");
        var settings = new GitSettings { Repository = _repository.Path, CacheDirectory = _cache.Path };
        configure(settings);
        var problems = new List<string>();
        SourcePlan.Compile(settings, problems);
        Assert.Empty(problems);
        var source = new GitBaselineSource(settings, TimeProvider.System, firstRetryDelay: TimeSpan.FromMilliseconds(10));
        return source.Load(source.Fetch(CancellationToken.None), DateTimeOffset.UtcNow);
    }

    public static SourceSettings Source(string path, string? render = null, string? ns = null, string? target = null, Dictionary<string, string>? substitute = null) =>
        new() { Path = path, Render = render, Namespace = ns, TargetNamespace = target, Substitute = substitute };

    public void Dispose()
    {
        _repository.Dispose();
        _cache.Dispose();
    }
}
