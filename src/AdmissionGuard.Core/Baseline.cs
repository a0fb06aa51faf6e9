using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using AdmissionGuard.Core.Policy;

namespace AdmissionGuard.Core;

/// <summary>
/// The policies Git declares at one commit. Immutable: a refresh builds a new one and swaps it in,
/// so readers never lock.
/// </summary>
public sealed class Baseline : IKnownSpecs
{
    private readonly FrozenDictionary<PolicyKey, BaselineEntry> _entries;

    public Baseline(string commit, string gitRef, DateTimeOffset loadedAt, IEnumerable<BaselineEntry> entries, IReadOnlyList<string>? notices = null)
    {
        Commit = commit;
        Ref = gitRef;
        LoadedAt = loadedAt;
        _entries = entries.ToFrozenDictionary(e => e.Policy.Id);
        Notices = notices ?? [];
    }

    /// <summary>What is worth fixing in the commit's manifests without making it invalid here, one line each, naming the file.</summary>
    public IReadOnlyList<string> Notices { get; }

    /// <summary>Full commit SHA.</summary>
    public string Commit { get; }

    public string ShortCommit => Commit.Length > 7 ? Commit[..7] : Commit;

    public string Ref { get; }

    public DateTimeOffset LoadedAt { get; }

    public int Count => _entries.Count;

    public IEnumerable<BaselineEntry> Entries => _entries.Values;

    public BaselineEntry? Find(PolicyKey key) => _entries.GetValueOrDefault(key);

    public bool TryGet(PolicyKey key, out SpecDigest servedDigest, [MaybeNullWhen(false)] out PolicySpec spec)
    {
        if (_entries.TryGetValue(key, out var entry) && entry.ServedDigest is { } served)
        {
            (servedDigest, spec) = (served, entry.Policy.Spec);
            return true;
        }

        (servedDigest, spec) = (default, null);
        return false;
    }

    /// <summary><c>path@shortsha</c>, or <c>base/file.yaml via overlay@shortsha</c> for a rendered source: where to change a policy.</summary>
    public string Location(BaselineEntry entry) => entry.Via is null ? $"{entry.SourcePath}@{ShortCommit}" : $"{entry.SourcePath} via {entry.Via}@{ShortCommit}";
}

/// <summary>A declared policy and the manifest it came from (path in the repository, document index from 0).</summary>
public sealed record BaselineEntry(CanonicalPolicy Policy, string SourcePath, int DocumentIndex)
{
    /// <summary>The digest of the spec as the API server would send it (<see cref="AdmissionGuard.Core.Policy.ServedSpec"/>), when it could be rendered.</summary>
    public SpecDigest? ServedDigest { get; init; }

    /// <summary>
    /// The spec as the API server would send it, kept only for a policy of a rendered source (what a repair applies):
    /// a plain file's is rendered again from Git when a repair needs it.
    /// </summary>
    public byte[]? ServedSpec { get; init; }

    /// <summary>The folder of the rendered source (a kustomize root) whose build produced it; null for a plain file.</summary>
    public string? Via { get; init; }
}
