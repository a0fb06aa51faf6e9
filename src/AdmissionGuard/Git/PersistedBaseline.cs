using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using AdmissionGuard.Core;

namespace AdmissionGuard.Git;

/// <summary>
/// The last good baseline on disk, so that a restart while Git is unreachable enforces at once: its commit, its sources,
/// and what each manifest file declared, read back without Git, the cached clone or kustomize
/// (<see cref="PersistedManifest"/>). JSON Lines: a header, the tables of the policies' distinct parts
/// (<see cref="PersistedPartsWriter"/>), one line per file, and a checksum; the lines of each table, and the files', are read
/// in parallel. Written atomically (temp file, then rename); one file per repository, ref, paths and sources settings, so
/// a configuration change never reuses a stale one.
/// </summary>
internal sealed class PersistedBaseline(GitSettings settings)
{
    public string FilePath { get; } = Path.Combine(settings.EffectiveCacheDirectory, $"baseline-{Fingerprint(settings)}.json");

    public void Save(LoadedCommit loaded, DateTimeOffset savedAt)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        var temporary = FilePath + ".tmp";
        var parts = new PersistedPartsWriter();
        foreach (var policies in loaded.Declared)
        {
            for (var i = 0; i < policies.Count; i++)
            {
                parts.Add(policies[i].Policy);
            }
        }

        var header = new Header(settings.DisplayRepository, settings.Ref, loaded.Baseline.Commit, savedAt, [.. loaded.Sources], loaded.Files.Count)
        {
            Parts = parts.Counts,
            PartLines = parts.Lines,
        };
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
        using (var checksum = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            void WriteLine(ReadOnlySpan<byte> line)
            {
                stream.Write(line);
                stream.WriteByte((byte)'\n');
                checksum.AppendData(line);
                checksum.AppendData("\n"u8);
            }

            WriteLine(JsonSerializer.SerializeToUtf8Bytes(header, PersistedJson.Default.Header));
            parts.WriteTo(WriteLine);
            var line = new System.Buffers.ArrayBufferWriter<byte>(4096);
            using var writer = new Utf8JsonWriter(line);
            for (var i = 0; i < loaded.Files.Count; i++)
            {
                PersistedManifest.Write(writer, loaded.Files[i], loaded.Declared[i], parts);
                writer.Flush();
                WriteLine(line.WrittenSpan);
                line.ResetWrittenCount();
                writer.Reset(line);
            }

            // The last line: what a damaged file (a flipped bit that still parses) is told apart by.
            stream.Write(Encoding.UTF8.GetBytes($"{{\"sha256\":\"{Convert.ToHexStringLower(checksum.GetHashAndReset())}\"}}\n"));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, FilePath, overwrite: true);

        // A baseline of other settings or of another format is never read by this build; a rollback must not find an old one.
        foreach (var other in Directory.EnumerateFiles(Path.GetDirectoryName(FilePath)!, "baseline-*.json").Where(f => f != FilePath))
        {
            File.Delete(other);
        }
    }

    /// <returns>The persisted baseline, or null when there is none. Nothing is fetched, rendered or parsed from YAML again.</returns>
    /// <param name="reused">Receives what the files declare, so that the next commit reads only the files that changed.</param>
    public LoadedCommit? Load(DateTimeOffset now, ParsedManifests? reused = null)
    {
        if (!File.Exists(FilePath))
        {
            return null;
        }

        try
        {
            using var stream = new FileStream(FilePath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
            var files = new List<ManifestFile>();
            using var checksum = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            Header? header = null;
            PersistedPartsReader? parts = null;
            var partLinesRead = 0;
            string? written = null;
            foreach (var lines in Chunks(stream))
            {
                if (written is not null)
                {
                    throw new JsonException("lines after the checksum");
                }

                if (header is null)
                {
                    header = JsonSerializer.Deserialize(lines[0].Span, PersistedJson.Default.Header) ?? throw new JsonException("no header");
                    parts = new PersistedPartsReader(header.Parts ?? throw new JsonException("no part tables in the header"), header.PartLines, stream.Length);
                    if (header.Files < 0 || header.Files > stream.Length)
                    {
                        throw new JsonException($"the header counts {header.Files} files, which a file of {stream.Length} bytes cannot hold");
                    }
                    AppendLine(checksum, lines[0].Span);
                    lines.RemoveAt(0);
                }

                var linesLeft = header.PartLines - partLinesRead + header.Files - files.Count;
                if (lines.Count > linesLeft)
                {
                    // The line after the last file's: the checksum of every line before it.
                    written = JsonSerializer.Deserialize(lines[linesLeft].Span, PersistedJson.Default.Checksum)?.Sha256 ?? throw new JsonException("no checksum");
                    if (lines.Count > linesLeft + 1)
                    {
                        throw new JsonException("lines after the checksum");
                    }

                    lines.RemoveAt(lines.Count - 1);
                }

                foreach (var line in lines)
                {
                    AppendLine(checksum, line.Span);
                }

                var partLines = Math.Min(lines.Count, header.PartLines - partLinesRead);
                ReadParts(parts!, lines, partLines);
                partLinesRead += partLines;

                var chunk = new ManifestFile[lines.Count - partLines];
                Parallel.For(0, chunk.Length, BaselineLoader.OnePerProcessor, i => chunk[i] = PersistedManifest.Read(lines[partLines + i], parts!));
                files.AddRange(chunk);
            }

            if (header is null)
            {
                throw new JsonException("the file is empty");
            }

            if (files.Count != header.Files)
            {
                throw new JsonException($"{header.Files} files expected, {files.Count} found");
            }

            if (written is null)
            {
                throw new JsonException("no checksum line: the file is cut short");
            }

            if (written != Convert.ToHexStringLower(checksum.GetHashAndReset()))
            {
                throw new JsonException("its checksum does not match: the file was changed or damaged");
            }

            // The tables hold each part once: the policies share their parts already.
            return BaselineLoader.Load(header.Commit, files, header.Sources, settings, now, reused, readIsShared: true);
        }
        catch (Exception e) when (Unreadable(e) is { } problem)
        {
            throw new BaselineLoadException($"persisted baseline {FilePath} is unreadable: {problem}");
        }
    }

    /// <summary>
    /// The first <paramref name="count"/> lines, part lines: the lines of one table are read in parallel, the tables in
    /// order (a part refers to parts of earlier tables).
    /// </summary>
    private static void ReadParts(PersistedPartsReader parts, List<ReadOnlyMemory<byte>> lines, int count)
    {
        for (var start = 0; start < count;)
        {
            var section = PersistedPartsReader.SectionOf(lines[start].Span);
            if (section < 0)
            {
                throw new JsonException("a part table's line expected");
            }

            var end = start + 1;
            while (end < count && PersistedPartsReader.SectionOf(lines[end].Span) == section)
            {
                end++;
            }

            parts.Begin(section);
            Parallel.For(start, end, BaselineLoader.OnePerProcessor, i => parts.Read(lines[i].Span));
            start = end;
        }
    }

    private static void AppendLine(IncrementalHash checksum, ReadOnlySpan<byte> line)
    {
        checksum.AppendData(line);
        checksum.AppendData("\n"u8);
    }

    /// <summary>Read at a time: enough lines to keep both CPUs busy, without holding the whole file.</summary>
    private const int ChunkBytes = 1 << 20;

    /// <summary>
    /// The file's whole lines, a chunk at a time (about <see cref="ChunkBytes"/>, or one longer line); each chunk's lines
    /// are valid until the next chunk is asked for.
    /// </summary>
    /// <exception cref="JsonException">The last line has no line feed: the file is cut short.</exception>
    private static IEnumerable<List<ReadOnlyMemory<byte>>> Chunks(Stream stream)
    {
        var buffer = new byte[ChunkBytes];
        var filled = 0;
        while (true)
        {
            var read = stream.Read(buffer, filled, buffer.Length - filled);
            filled += read;
            if (filled == 0)
            {
                yield break;
            }

            var end = buffer.AsSpan(0, filled).LastIndexOf((byte)'\n');
            if (end < 0)
            {
                if (read == 0)
                {
                    throw new JsonException("the last line is cut short");
                }

                if (filled == buffer.Length)
                {
                    // A line longer than the buffer: a file of many policies, or a large render.
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                continue;
            }

            yield return Lines(buffer.AsMemory(0, end + 1));
            buffer.AsSpan(end + 1, filled - end - 1).CopyTo(buffer);
            filled -= end + 1;
        }
    }

    /// <param name="text">Whole lines, each ending in a line feed.</param>
    private static List<ReadOnlyMemory<byte>> Lines(ReadOnlyMemory<byte> text)
    {
        var lines = new List<ReadOnlyMemory<byte>>();
        var start = 0;
        while (start < text.Length)
        {
            var length = text.Span[start..].IndexOf((byte)'\n');
            lines.Add(text.Slice(start, length));
            start += length + 1;
        }

        return lines;
    }

    /// <summary>
    /// Why a persisted file cannot be used, in one line: any failure to read it back (a damaged file, or one this build
    /// did not write) means the pod waits for Git instead, never that it stops; null for running out of memory.
    /// </summary>
    private static string? Unreadable(Exception e) => e switch
    {
        AggregateException { InnerExceptions: [var first, ..] } => Unreadable(first),
        OutOfMemoryException => null,
        JsonException or Core.Policy.PolicyFormatException => e.Message.ReplaceLineEndings(" "),
        _ => $"{e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}",
    };

    /// <summary>Part of the file's name: a build that writes another format never reads this one, nor the reverse.</summary>
    private const string Format = "6";

    /// <summary>
    /// This build, in the file's name as well: what a file declares is reused for unchanged files of later commits, so a
    /// build must never take in what another build's reader made (a new pod starts with an empty cache anyway).
    /// </summary>
    private static readonly string Build = typeof(PersistedBaseline).Assembly.ManifestModule.ModuleVersionId.ToString("N");

    private static string Fingerprint(GitSettings settings)
    {
        var identity = string.Join('\n', [Format, Build, RepositoryUrl.WithoutCredentials(settings.Repository), settings.Ref, settings.DefaultNamespace, .. settings.EffectivePaths, SourcesIdentity(settings)]);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..16];
    }

    /// <summary>The sources settings, so that changing them never reuses a baseline read through other ones; empty without them.</summary>
    private static string SourcesIdentity(GitSettings settings) =>
        settings.Sources is null && settings.Discover is null && settings.RepositoryAliases is null && settings.DiscoverFluxSources is null
            ? ""
            : JsonSerializer.Serialize(new
            {
                settings.Sources,
                settings.Discover,
                settings.RepositoryAliases,
                settings.DiscoverFluxSources,

                // Which kustomize runs, and how long it may take, do not change what a render is.
                settings.Kustomize.LoadRestrictor,
                settings.Kustomize.StrictSubstitution,
            });

    /// <summary>The first line: what the baseline is, and how many file lines follow it.</summary>
    internal sealed record Header(string Repository, string Ref, string Commit, DateTimeOffset SavedAt, List<Sources.SourceReport> Sources, int Files)
    {
        /// <summary>How many items each part table holds (<see cref="PersistedPartsReader.Sections"/>).</summary>
        public int[]? Parts { get; init; }

        /// <summary>The part tables' lines, between this header and the files' lines.</summary>
        public int PartLines { get; init; }
    }

    /// <summary>The last line: the SHA-256 of every line before it, line feeds included.</summary>
    internal sealed record Checksum(string Sha256);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(PersistedBaseline.Header))]
[JsonSerializable(typeof(PersistedBaseline.Checksum))]
internal sealed partial class PersistedJson : JsonSerializerContext;
