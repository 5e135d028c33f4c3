/** Where data and artifacts live: `s3://bucket/prefix` or `file://dir`; checked where a URI enters (flag or variable). */
export const STORAGE_URI = /^(s3:\/\/[a-z0-9.-]{3,63}(\/.*)?|file:\/\/.+)$/;

export const STORAGE_URI_EXPECTED = 'must look like s3://bucket/prefix or file://dir';
