using System.Runtime.CompilerServices;

namespace AdmissionGuard.Git;

/// <summary>
/// The files of the last commit that loaded, and what was read from them. A new commit mostly changes a few files:
/// the others have the same blob, and are taken as they are instead of being decoded and parsed again.
/// </summary>
/// <remarks>
/// Kept by the one refresh loop that loads commits; holds only the last good commit's files. Their texts are kept too
/// (about 125 MB at 50,000 files): decoding every unchanged blob again would double the time a one-file commit takes
/// to be in force at that size (measured in docs/performance.md), and the persisted baseline needs every text.
/// </remarks>
internal sealed class ParsedManifests
{
    private Dictionary<string, ManifestFile> _files = new(StringComparer.Ordinal);
    private ConditionalWeakTable<ManifestFile, IReadOnlyList<DeclaredPolicy>> _policies = [];

    /// <summary>The last commit's file at this path, when its blob is the same.</summary>
    public ManifestFile? File(string path, string blobId) =>
        _files.TryGetValue(path, out var file) && file.BlobId == blobId ? file : null;

    /// <summary>What was read from this very file (the same instance) the last time, or null.</summary>
    public IReadOnlyList<DeclaredPolicy>? Policies(ManifestFile file) => _policies.TryGetValue(file, out var policies) ? policies : null;

    /// <summary>Replaces what is kept with a commit that loaded.</summary>
    public void Keep(IReadOnlyList<ManifestFile> files, IReadOnlyList<IReadOnlyList<DeclaredPolicy>> policies)
    {
        var byPath = new Dictionary<string, ManifestFile>(files.Count, StringComparer.Ordinal);
        var read = new ConditionalWeakTable<ManifestFile, IReadOnlyList<DeclaredPolicy>>();
        for (var i = 0; i < files.Count; i++)
        {
            if (files[i].BlobId is not null)
            {
                byPath[files[i].Path] = files[i];
            }

            read.AddOrUpdate(files[i], policies[i]);
        }

        (_files, _policies) = (byPath, read);
    }
}
