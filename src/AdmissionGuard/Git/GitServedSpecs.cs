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
internal sealed class GitServedSpecs(GitSettings settings)
{
    private readonly GitRepositoryCache _cache = new(settings);

    /// <exception cref="InvalidOperationException">Git's spec cannot be had as the baseline read it; the message says why, in one line.</exception>
    public byte[] For(Baseline baseline, BaselineEntry entry)
    {
        if (entry.ServedSpec is { } kept)
        {
            return kept;
        }

        var id = entry.Policy.Id;
        if (entry.ServedDigest is not { } digest)
        {
            throw new InvalidOperationException("Git's spec could not be written as the API server serves it");
        }

        var file = $"{entry.SourcePath}@{baseline.ShortCommit}";
        var text = _cache.ReadText(baseline.Commit, entry.SourcePath)
            ?? throw new InvalidOperationException($"cannot read {file} from the cached clone in {_cache.Directory}");
        var options = new ManifestFile(entry.SourcePath, text).ReadOptions(settings.DefaultNamespace) with { KeepServedSpec = true };
        var declared = ManifestReader.Read(entry.SourcePath, text, options)
            .FirstOrDefault(d => d.DocumentIndex == entry.DocumentIndex && d.Policy.Id == id);
        return declared?.ServedSpec is { } served && SpecDigest.Of(served) == digest
            ? served
            : throw new InvalidOperationException($"{file}, read again, does not give the spec the baseline holds");
    }
}
