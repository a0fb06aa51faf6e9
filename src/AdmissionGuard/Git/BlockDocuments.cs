using System.Buffers;
using System.Collections;
using System.Text.Json;

namespace AdmissionGuard.Git;

/// <summary>
/// The documents <see cref="BlockYamlToJson"/> converted from one text (null for an empty or left-out one), over one pooled
/// array that holds all their JSON: each document is parsed once, in place, instead of being checked and then copied.
/// </summary>
/// <remarks>Disposing it disposes the documents and returns the array; they must not be used after.</remarks>
internal sealed class BlockDocuments : IReadOnlyList<JsonDocument?>, IDisposable
{
    private readonly JsonDocument?[] _documents;
    private byte[]? _json;

    /// <param name="json">Every document's JSON, back to back, in an array rented from the shared pool (or empty); it is returned there on disposal.</param>
    /// <param name="ranges">Each document's place in <paramref name="json"/>; a negative length for none.</param>
    public BlockDocuments(byte[] json, IReadOnlyList<(int Start, int Length)> ranges)
    {
        _json = json;
        _documents = new JsonDocument?[ranges.Count];
        try
        {
            for (var index = 0; index < ranges.Count; index++)
            {
                var (start, length) = ranges[index];
                _documents[index] = length < 0 ? null : JsonDocument.Parse(json.AsMemory(start, length));
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int Count => _documents.Length;

    public JsonDocument? this[int index] => _documents[index];

    public IEnumerator<JsonDocument?> GetEnumerator() => ((IEnumerable<JsonDocument?>)_documents).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public void Dispose()
    {
        foreach (var document in _documents)
        {
            document?.Dispose();
        }

        if (_json is { Length: > 0 } json)
        {
            ArrayPool<byte>.Shared.Return(json);
        }

        _json = null;
    }
}
