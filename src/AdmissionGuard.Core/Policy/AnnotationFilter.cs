namespace AdmissionGuard.Core.Policy;

/// <summary>
/// Whether an annotation, by its key, can matter to a decision. Keys are given as text still in the
/// request's buffer, so the many that do not matter are never made into strings.
/// </summary>
public delegate bool AnnotationFilter(ReadOnlySpan<char> key);
