namespace Adapters.Core.IO;

/// <summary>Deleting a folder this process made, with all it holds, where a failure only leaves it behind.</summary>
public static class FolderDeletion
{
    /// <summary>
    /// Deletes <paramref name="folder"/> recursively; false, and nothing thrown, when it is already
    /// gone, in use, or not this process's to delete.
    /// </summary>
    public static bool TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }
}
