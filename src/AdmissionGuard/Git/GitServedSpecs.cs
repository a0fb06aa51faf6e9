using AdmissionGuard.Core;
using AdmissionGuard.Core.Policy;

namespace AdmissionGuard.Git;

/// <summary>
/// Git's spec of a baseline policy as the API server would serve it, which is what a repair applies. A baseline keeps only
/// the digest of a plain file's (<see cref="BaselineEntry.ServedDigest"/>): the file is read again from the cached clone at
/// the baseline's commit, and what it renders must have that digest, so a repair applies exactly what the baseline read.
/// A rendered source's policy keeps its spec (<see cref="BaselineEntry.ServedSpec"/>): reading it again would mean
/// rendering the source again.
/// </summary>
/// <remarks>
/// <para>
/// A policy with no digest, because a new pod's digests could not be made after its first load (<see cref="LaterDigests"/>),
/// is checked as they would have been made: the file must declare it at the same place with the baseline's spec, into which
/// the rendering reads back.
/// </para>
/// <para>One for each repair pass (<c>drift --fix</c>, or one remediation pass of the scanner), used by one caller at a time.</para>
/// </remarks>
internal sealed class GitServedSpecs(GitSettings settings)
{
    /// <summary>Files whose specs are kept once read: a pass that repairs many policies of one file reads it once.</summary>
    private const int KeptFiles = 16;

    private readonly GitRepositoryCache _cache = new(settings);
    private readonly Dictionary<(string Commit, string Path), Dictionary<(PolicyKey, int), (PolicySpec Spec, byte[]? Served)>> _files = [];
    private readonly Queue<(string Commit, string Path)> _readOrder = new();

    /// <exception cref="InvalidOperationException">Git's spec cannot be had as the baseline read it; the message says why, in one line.</exception>
    public byte[] For(Baseline baseline, BaselineEntry entry)
    {
        if (entry.ServedSpec is { } kept)
        {
            return kept;
        }

        // A rendered policy keeps its spec when it can be written: its base file, read again alone, is not the render.
        if (entry.Via is not null)
        {
            throw new InvalidOperationException("Git's spec could not be written as the API server serves it");
        }

        var file = $"{Excerpt.Of(entry.SourcePath, 300)}@{baseline.ShortCommit}";
        var specs = Specs(baseline.Commit, entry.SourcePath, file);
        if (!specs.TryGetValue((entry.Policy.Id, entry.DocumentIndex), out var again))
        {
            throw new InvalidOperationException($"{file}, read again, does not declare the policy in document {entry.DocumentIndex}");
        }

        var sameSpec = entry.ServedDigest is { } digest
            ? again.Served is { } rendered && digest.IsDigestOf(rendered)
            : again.Spec.Equals(entry.Policy.Spec);
        if (!sameSpec)
        {
            throw new InvalidOperationException($"{file}, read again, gives another spec than the baseline holds");
        }

        return again.Served ?? throw new InvalidOperationException("Git's spec could not be written as the API server serves it");
    }

    /// <summary>Every policy of the file at the commit, by name and document: its spec, and that spec served (null when it has none).</summary>
    private Dictionary<(PolicyKey, int), (PolicySpec Spec, byte[]? Served)> Specs(string commit, string path, string file)
    {
        if (_files.TryGetValue((commit, path), out var known))
        {
            return known;
        }

        IReadOnlyList<DeclaredPolicy> declared;
        try
        {
            var text = _cache.ReadText(commit, path)
                ?? throw new InvalidOperationException($"cannot read {file} from the cached clone in {Excerpt.Of(_cache.Directory, 300)}");
            declared = ManifestReader.Read(path, text, new ManifestFile(path, text).ReadOptions(settings.DefaultNamespace) with { KeepServedSpec = true });
        }
        catch (Exception e) when (e is LibGit2Sharp.LibGit2SharpException or ManifestException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"cannot read {file} from the cached clone in {Excerpt.Of(_cache.Directory, 300)}: {Excerpt.Of(e.Message, 300)}", e);
        }

        var specs = new Dictionary<(PolicyKey, int), (PolicySpec, byte[]?)>();
        foreach (var policy in declared)
        {
            specs[(policy.Policy.Id, policy.DocumentIndex)] = (policy.Policy.Spec, policy.ServedSpec);
        }

        _files.Add((commit, path), specs);
        _readOrder.Enqueue((commit, path));
        if (_readOrder.Count > KeptFiles)
        {
            _files.Remove(_readOrder.Dequeue());
        }

        return specs;
    }
}
