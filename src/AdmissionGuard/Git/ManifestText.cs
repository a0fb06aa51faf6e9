using System.Text;
using LibGit2Sharp;

namespace AdmissionGuard.Git;

/// <summary>
/// A manifest's bytes as text, as kubectl reads them: UTF-8 (a leading byte order mark is allowed), and nothing
/// else. Bytes that are not UTF-8 would otherwise become U+FFFD and a policy kubectl refuses would load here.
/// </summary>
internal static class ManifestText
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static string Decode(string path, Blob blob, string commitSha)
    {
        using var content = blob.GetContentStream();
        using var bytes = new MemoryStream((int)Math.Min(blob.Size, int.MaxValue));
        content.CopyTo(bytes);
        return Decode(path, bytes.GetBuffer().AsSpan(0, (int)bytes.Length), commitSha);
    }

    public static string Decode(string path, ReadOnlySpan<byte> bytes, string commitSha)
    {
        var text = bytes.StartsWith(Encoding.UTF8.Preamble) ? bytes[Encoding.UTF8.Preamble.Length..] : bytes;
        try
        {
            return Strict.GetString(text);
        }
        catch (DecoderFallbackException e)
        {
            var offset = e.Index >= 0 ? $" at byte {e.Index + bytes.Length - text.Length}" : "";
            throw new BaselineLoadException($"{path}: not valid UTF-8{offset}: save it as UTF-8, as kubectl requires", commitSha, path);
        }
    }
}
