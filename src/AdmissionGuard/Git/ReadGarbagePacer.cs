namespace AdmissionGuard.Git;

/// <summary>
/// Collects the youngest generation after every so much manifest text parsed during a baseline's read. The runtime's own
/// budget for it is tens of megabytes on a server CPU, and a read makes about 16 bytes of garbage per character it
/// parses, so between two of its collections the read's garbage adds that much to the resident peak. Collected this
/// often, a cold start of 50,000 policies peaks about 25 MiB lower in the same time (docs/performance.md).
/// </summary>
/// <remarks>Shared by the parsing threads of one read; lock-free.</remarks>
internal sealed class ReadGarbagePacer(long charactersPerCollection, Action collect)
{
    /// <summary>About 8 MB of a read's garbage: a collection every 400 files of a typical one-policy manifest.</summary>
    public const long DefaultCharactersPerCollection = 512 * 1024;

    private long _parsed;

    public ReadGarbagePacer()
        : this(DefaultCharactersPerCollection, static () => GC.Collect(0, GCCollectionMode.Forced, blocking: true))
    {
    }

    /// <summary>Counts a parsed text, collecting when the count crosses a multiple of the pace.</summary>
    public void Parsed(int characters)
    {
        var after = Interlocked.Add(ref _parsed, characters);
        if (after / charactersPerCollection != (after - characters) / charactersPerCollection)
        {
            collect();
        }
    }
}
