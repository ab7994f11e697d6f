SELECT U&'d\0061t', U&"q", B'101', X'ff', N'n', 1.5e10, $tag_é$ body $tag_é$;
'unterminated
