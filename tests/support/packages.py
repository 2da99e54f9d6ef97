"""Packages for the loopback suites that push over raw HTTP: a real .nupkg (nuspec, OPC parts, one
file with a random line, so two builds of one id+version differ; an optional readme) and the
multipart body `nuget push` sends."""
import io
import uuid
import zipfile


def nupkg(pid, version, readme=None):
    """A real package: nuspec, OPC parts, one file and an optional readme."""
    readme_xml = "<readme>README.md</readme>" if readme else ""
    nuspec = ('<?xml version="1.0" encoding="utf-8"?>\n'
              '<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd"><metadata>'
              '<id>%s</id><version>%s</version><authors>test</authors><description>%s for the loopback suites</description>'
              '%s</metadata></package>' % (pid, version, pid, readme_xml))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("%s.nuspec" % pid, nuspec)
        z.writestr("[Content_Types].xml", '<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="nuspec" ContentType="application/octet" /><Default Extension="txt" ContentType="application/octet" />'
                   '<Default Extension="md" ContentType="application/octet" /></Types>')
        z.writestr("tools/%s.txt" % pid.lower(), "%s %s %s\n" % (pid, version, uuid.uuid4().hex))
        if readme:
            z.writestr("README.md", readme)
    return buf.getvalue()


def multipart(data):
    """(body, Content-Type) of a push of `data`, as NuGet clients send it."""
    boundary = uuid.uuid4().hex
    body = (("--%s\r\nContent-Disposition: form-data; name=\"package\"; filename=\"p.nupkg\"\r\n"
             "Content-Type: application/octet-stream\r\n\r\n" % boundary).encode() + data
            + ("\r\n--%s--\r\n" % boundary).encode())
    return body, "multipart/form-data; boundary=%s" % boundary
